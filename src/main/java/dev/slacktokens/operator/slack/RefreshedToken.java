package dev.slacktokens.operator.slack;

import java.util.Optional;

/**
 * The flat response of a refresh grant ({@code oauth.v2.access} with grant_type=refresh_token) or of
 * {@code oauth.v2.exchange}: a new access token and a new single-use refresh token. There is no authed_user.
 */
public record RefreshedToken(String appId, IssuedToken token, Optional<String> userId, Optional<String> botUserId,
        Optional<SlackRef> team, Optional<SlackRef> enterprise, boolean enterpriseInstall) {

    public RefreshedToken {
        if (token.refreshToken().isEmpty() || token.expiresIn().isEmpty()) {
            throw new IllegalArgumentException("a refreshed token needs a refresh token and an expiry");
        }
    }

    public SlackToken refreshToken() {
        return token.refreshToken().orElseThrow();
    }
}
