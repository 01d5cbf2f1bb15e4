package dev.slacktokens.operator.oauth;

import jakarta.ws.rs.core.Response;

/**
 * Every way the OAuth endpoints refuse a request: the HTTP status and page title it answers with, and (its name in
 * lower case) the {@code result} label of {@code slack_oauth_callbacks_total}. Each refusal changes no Secret and
 * leaves no new token live at Slack.
 */
public enum Refusal {
    LINK_EXPIRED(400, "Link expired"),
    INVALID_LINK(400, "Invalid authorize link"),
    INVALID_STATE(400, "Invalid OAuth state"),
    CONNECTION_GONE(410, "Connection gone"),
    CONNECTION_RECREATED(410, "Connection re-created"),
    MISCONFIGURED(409, "Connection misconfigured"),
    ALREADY_CONNECTED(409, "Already connected"),
    LINK_USED(410, "Link already used"),
    OTHER_BROWSER(400, "Start again in this browser"),
    DECLINED(403, "Authorization declined"),
    SLACK_ERROR(400, "Slack reported an error"),
    NO_CODE(400, "No authorization code"),
    CODE_INVALID(400, "Code expired or used"),
    APP_REJECTED(502, "Slack rejected the app"),
    EXCHANGE_REFUSED(502, "Slack refused the exchange"),
    LOCAL_RATE_LIMIT(503, "Too many authorizations at once"),
    SLACK_UNAVAILABLE(503, "Slack unavailable"),
    WRONG_IDENTITY(403, "Wrong Slack identity"),
    IDENTITY_MISMATCH(502, "Slack identity mismatch"),
    UNCONFIRMED(503, "Could not confirm the token"),
    OTHER_USER(409, "Connected to another Slack user"),
    RACED(409, "Authorization raced another one"),
    NOT_SAVED(503, "Could not save the authorization");

    final int status;
    final String title;

    Refusal(int status, String title) {
        this.status = status;
        this.title = title;
    }

    /** The metric label. */
    public String label() {
        return name().toLowerCase();
    }

    /**
     * This refusal, with what happened and what the person in front of the page (usually the Slack user, who cannot
     * run kubectl) can do; {@link Failure#owner} adds what the connection's owner does.
     */
    Failure because(String message, String you) {
        return new Failure(this, message, you, 0);
    }

    /** The same, with a Retry-After header. */
    Failure retryAfter(String message, String you, long seconds) {
        return new Failure(this, message, you, seconds);
    }

    /** A refusal raised from deep inside the flow; {@link #page()} is what the browser gets. */
    static final class Failure extends Exception {
        final Refusal refusal;
        private final String message;
        private final String you;
        private final long retryAfterSeconds;
        private String owner;
        private String ownerCommand;

        Failure(Refusal refusal, String message, String you, long retryAfterSeconds) {
            super(refusal.title, null, false, false);
            this.refusal = refusal;
            this.message = message;
            this.you = you;
            this.retryAfterSeconds = retryAfterSeconds;
        }

        /** What the connection's owner does about it, and the command they run (either may be null). */
        Failure owner(String text, String command) {
            this.owner = text;
            this.ownerCommand = command;
            return this;
        }

        /** For a log line: the title and what happened, on one line (parts come from the request). */
        String describe() {
            return (refusal.title + ": " + message).replaceAll("\\p{Cntrl}", " ");
        }

        Response page() {
            Response page = Pages.refusal(refusal.status, refusal.title, message, you, owner, ownerCommand);
            return retryAfterSeconds > 0 ? Response.fromResponse(page).header("Retry-After", retryAfterSeconds)
                    .build() : page;
        }
    }
}
