package dev.slacktokens.operator.api.v1alpha1;

/** What happens to the Slack tokens when a SlackUserConnection is deleted. */
public enum DeletionPolicy {
    /** Revoke the tokens at Slack ({@code auth.revoke}), then delete the token store. */
    Revoke,
    /** Keep the workload Secret with its last access token (no longer owned) and do not revoke. */
    Retain
}
