package dev.slacktokens.operator.store;

import java.time.Instant;
import java.util.Optional;

import dev.slacktokens.operator.slack.SlackToken;

/** The two rotating pairs a connection can hold: the user's (what it is for) and, for bot+user installs, the bot's. */
public enum TokenPair {
    USER(Labels.REFRESH_JOURNAL),
    BOT(Labels.REFRESH_JOURNAL_BOT);

    private final String journalAnnotation;

    TokenPair(String journalAnnotation) {
        this.journalAnnotation = journalAnnotation;
    }

    /** The store annotation that holds this pair's refresh journal. */
    public String journalAnnotation() {
        return journalAnnotation;
    }

    public Optional<SlackToken> refreshToken(StoredTokens tokens) {
        return this == USER ? tokens.refreshToken() : tokens.bot().flatMap(StoredTokens.BotTokens::refreshToken);
    }

    public Optional<SlackToken> accessToken(StoredTokens tokens) {
        return this == USER ? Optional.of(tokens.accessToken()) : tokens.bot().map(StoredTokens.BotTokens::accessToken);
    }

    public Optional<Instant> expiresAt(StoredTokens tokens) {
        return this == USER ? tokens.expiresAt() : tokens.bot().flatMap(StoredTokens.BotTokens::expiresAt);
    }

    public Instant issuedAt(StoredTokens tokens) {
        return this == USER ? tokens.issuedAt() : tokens.bot().map(StoredTokens.BotTokens::issuedAt)
                .orElse(tokens.issuedAt());
    }

    /** Seeds the per-connection jitter, so the two pairs of one connection do not refresh in the same instant. */
    public String jitterSeed(String connectionUid) {
        return this == USER ? connectionUid : connectionUid + "/bot";
    }
}
