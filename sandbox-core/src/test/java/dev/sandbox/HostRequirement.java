package dev.sandbox;

import org.junit.jupiter.api.Assumptions;

/**
 * Skips a test whose host lacks something, with the reason; when the environment variable
 * {@code SANDBOX_TEST_REQUIRE_ALL} is {@code true} (as {@code .ci/run} sets it) the test fails
 * instead, so CI cannot pass by skipping.
 */
final class HostRequirement {

    private HostRequirement() {
    }

    static void require(boolean met, String reason) {
        if (met) {
            return;
        }
        if ("true".equals(System.getenv("SANDBOX_TEST_REQUIRE_ALL"))) {
            throw new AssertionError("host requirement not met (SANDBOX_TEST_REQUIRE_ALL=true): " + reason);
        }
        Assumptions.abort(reason);
    }
}
