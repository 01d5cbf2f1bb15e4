package dev.slacktokens.operator.slack;

import java.util.Optional;

/** What {@code auth.test} says about a token: whose it is and where. */
public record AuthIdentity(String userId, Optional<String> userName, Optional<String> teamId, Optional<String> teamName,
        Optional<String> enterpriseId, boolean enterpriseInstall, Optional<String> url, Optional<String> botId) {
}
