package dev.slacktokens.operator.slack;

/** A failure that may go away: Slack's own transient errors, HTTP 5xx, timeouts, broken connections. */
public final class SlackTransientException extends SlackApiException {

    public SlackTransientException(String method, String error, String detail, Throwable cause) {
        super(method, error, detail, cause);
    }
}
