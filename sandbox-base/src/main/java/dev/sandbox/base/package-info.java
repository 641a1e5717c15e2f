/**
 * <strong>Internal, not API.</strong> What {@code sandbox-cgroups} and {@code sandbox-core} share
 * and neither should own: the errno table ({@link dev.sandbox.base.Errno}), the signal table
 * ({@link dev.sandbox.base.Signals}), the one jnr-ffi binding of the plain POSIX calls both make
 * ({@link dev.sandbox.base.Posix}), process facts ({@link dev.sandbox.base.ProcessFacts}) and the
 * builders' argument checks ({@link dev.sandbox.base.Checks}).
 *
 * <p>Errno values never come from message text: a failed native call reports its own errno
 * ({@link dev.sandbox.base.Posix#errno()}), a JDK exception is mapped by its exact type, and names and
 * descriptions come from one table for the running architecture, so messages read the same under
 * every locale.
 *
 * <p>Classes here may change in any release; depend on them only through {@code sandbox-core} or
 * {@code sandbox-cgroups}.
 */
package dev.sandbox.base;
