package dev.slacktokens.operator.slack;

/** Slack's token_type. */
public enum TokenType {
    user,
    bot;

    static TokenType parse(String value, TokenType fallback) {
        if ("bot".equals(value)) {
            return bot;
        }
        if ("user".equals(value)) {
            return user;
        }
        return fallback;
    }
}
