/**
 * What the OAuth endpoints ({@code oauth}) and the reconciler ({@code reconciler}) both need of a connection: the
 * Slack app it uses and its credentials ({@code SlackApps}), its signed authorize links ({@code AuthorizeLinks}) and
 * the key that signs links and OAuth states ({@code StateKeys}, {@code StateCodec}), and its Kubernetes Events
 * ({@code EventRecorder}). Both packages stand above this one; neither imports the other.
 */
package dev.slacktokens.operator.connection;
