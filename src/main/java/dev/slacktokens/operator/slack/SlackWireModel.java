package dev.slacktokens.operator.slack;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * Slack's JSON responses as they arrive. Unknown fields are ignored; absent fields stay {@code null}. The
 * {@code toString} of every record that can carry a token is overridden so that it never prints one.
 */
final class SlackWireModel {

    private SlackWireModel() {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record TeamJson(String id, String name) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record AuthedUserJson(String id, String scope, String accessToken, String tokenType, String refreshToken,
            Long expiresIn) {
        @Override
        public String toString() {
            return "AuthedUser[id=" + id + ", scope=" + scope + "]";
        }
    }

    /** oauth.v2.access (both grants) and oauth.v2.exchange. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record OAuthAccessJson(Boolean ok, String error, String appId, String accessToken, String tokenType, String scope,
            String botUserId, String refreshToken, Long expiresIn, String userId, TeamJson team, TeamJson enterprise,
            Boolean isEnterpriseInstall, AuthedUserJson authedUser) {
        @Override
        public String toString() {
            return "OAuthAccess[ok=" + ok + ", error=" + error + ", appId=" + appId + "]";
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record AuthTestJson(Boolean ok, String error, String url, String team, String user, String teamId, String userId,
            String enterpriseId, Boolean isEnterpriseInstall, String botId) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record AuthRevokeJson(Boolean ok, String error, Boolean revoked) {
    }
}
