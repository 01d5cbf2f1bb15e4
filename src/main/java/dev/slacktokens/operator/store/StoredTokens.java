package dev.slacktokens.operator.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.slacktokens.operator.slack.SlackToken;

/**
 * What the token store holds for one connection: the source of truth. Tokens print redacted. {@code issuedAt}
 * is when the current access token was issued (its lifetime is {@code expiresAt − issuedAt}).
 *
 * @param resourceVersion the store Secret's resourceVersion, for compare-and-set writes
 */
public record StoredTokens(String connectionUid, SlackToken accessToken, Optional<SlackToken> refreshToken,
        Optional<Instant> expiresAt, List<String> scopes, String userId, Optional<String> userName,
        Optional<String> teamId, Optional<String> teamName, Optional<String> enterpriseId,
        Optional<String> enterpriseName, Optional<String> appId, Optional<BotTokens> bot, Instant issuedAt,
        String resourceVersion) {

    public StoredTokens {
        scopes = List.copyOf(scopes);
    }

    /** The same tokens with another bot pair (or none). */
    public StoredTokens withBot(Optional<BotTokens> newBot) {
        return new StoredTokens(connectionUid, accessToken, refreshToken, expiresAt, scopes, userId, userName, teamId,
                teamName, enterpriseId, enterpriseName, appId, newBot, issuedAt, resourceVersion);
    }

    /** The same tokens as stored at another resourceVersion. */
    public StoredTokens withResourceVersion(String newResourceVersion) {
        return new StoredTokens(connectionUid, accessToken, refreshToken, expiresAt, scopes, userId, userName, teamId,
                teamName, enterpriseId, enterpriseName, appId, bot, issuedAt, newResourceVersion);
    }

    /** The bot half of a bot+user install. */
    public record BotTokens(SlackToken accessToken, Optional<SlackToken> refreshToken, Optional<Instant> expiresAt,
            String botUserId, List<String> scopes, Instant issuedAt) {
    }
}
