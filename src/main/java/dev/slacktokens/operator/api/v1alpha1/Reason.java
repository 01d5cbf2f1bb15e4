package dev.slacktokens.operator.api.v1alpha1;

/** The closed set of reasons a connection's Ready condition can carry. */
public enum Reason {
    /** No token yet: a Slack user must open status.authorizeUrl. */
    AwaitingAuthorization,
    /** A consent completed and the workload Secret holds the token. */
    Authorized,
    /** The token was rotated and the workload Secret holds the new one. */
    Refreshed,
    /** A refresh failed (or its outcome is unknown); the current token is still valid and the operator retries. */
    RefreshRetrying,
    /** The access token in the workload Secret expired before a refresh succeeded; the operator keeps retrying. */
    TokenExpired,
    /** Slack no longer accepts the refresh token (or it expired unrefreshed): a new consent is needed. */
    ReauthorizationRequired,
    /** The spec cannot be acted on (for example a referenced Secret is missing). */
    InvalidSpec,
    /** Slack rejected the app's client id or client secret. */
    InvalidClient,
    /** The consent came from another workspace or user than spec.team / spec.user. */
    IdentityMismatch,
    /** Slack granted fewer user scopes than requested. */
    MissingScopes,
    /** The tokens were revoked (user deactivated, app uninstalled or auth.revoke). */
    Revoked,
    /** The last reconciliation failed (for example the API server refused a write); the operator retries. */
    ReconcileError;

    /** All reasons, for field descriptions. */
    public static final String ALL_DESCRIBED = "AwaitingAuthorization, Authorized, Refreshed, RefreshRetrying, TokenExpired, "
            + "ReauthorizationRequired, InvalidSpec, InvalidClient, IdentityMismatch, MissingScopes, Revoked, ReconcileError";
}
