package dev.sandbox.cgroups.internal;

import java.util.BitSet;

/**
 * The kernel's CPU / memory-node list format ({@code 0-3,8,10-11}), as {@code cpuset.cpus} and
 * {@code cpuset.mems} take and print it.
 *
 * <p><strong>Internal usage only.</strong>
 */
public final class CpuList {

    /** The kernel's NR_CPUS ceiling on common distribution configs. */
    public static final int MAX_CPU = 8191;

    private CpuList() {
    }

    /**
     * Parses a list; throws {@link IllegalArgumentException} with the reason if it is not one.
     * The kernel prints an empty list as an empty line; that parses as the empty set.
     */
    public static BitSet parse(String list) {
        BitSet set = new BitSet();
        String s = list.trim();
        if (s.isEmpty()) {
            return set;
        }
        for (String part : s.split(",", -1)) {
            int dash = part.indexOf('-');
            int from = number(dash < 0 ? part : part.substring(0, dash), list);
            int to = dash < 0 ? from : number(part.substring(dash + 1), list);
            if (to < from) {
                throw new IllegalArgumentException("range " + part + " runs backwards");
            }
            set.set(from, to + 1);
        }
        return set;
    }

    /** The kernel's canonical form: ascending, ranges merged ({@code 0-2,4}). */
    public static String format(BitSet set) {
        StringBuilder sb = new StringBuilder();
        for (int i = set.nextSetBit(0); i >= 0; ) {
            int end = set.nextClearBit(i) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(i);
            if (end > i) {
                sb.append('-').append(end);
            }
            i = set.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    private static int number(String s, String list) {
        if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + s + "' in '" + list + "' is not a CPU number");
        }
        int n = Integer.parseInt(s);
        if (n > MAX_CPU) {
            throw new IllegalArgumentException("CPU " + n + " is above " + MAX_CPU);
        }
        return n;
    }
}
