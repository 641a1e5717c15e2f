/**
 * Network namespace set-up beyond the loopback-only default (which the native helper brings up
 * itself): veth pairs, addresses, routes, port forwarding and rootless user-mode networking.
 */
package dev.sandbox.net;
