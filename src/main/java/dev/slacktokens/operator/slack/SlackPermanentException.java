package dev.slacktokens.operator.slack;

/** Slack refused the request for a reason that retrying will not change (bad code, revoked token, bad client). */
public final class SlackPermanentException extends SlackApiException {

    public SlackPermanentException(String method, String error, String detail) {
        super(method, error, detail, null);
    }
}
