package dev.slacktokens.operator.slack;

import java.util.Optional;

/**
 * The result of exchanging an authorization code ({@code oauth.v2.access}, authorization_code grant). Covers the
 * user-only, bot+user and organization-install shapes: the user token is always present (this operator exists
 * for it), the bot token only when bot scopes were granted, the team is absent for an org-wide install.
 */
public record OAuthGrant(String appId, String userId, IssuedToken userToken, Optional<BotGrant> bot,
        Optional<SlackRef> team, Optional<SlackRef> enterprise, boolean enterpriseInstall) {

    /** The bot part of a bot+user install. */
    public record BotGrant(String botUserId, IssuedToken token) {
    }
}
