package dev.slacktokens.operator.slack;

import java.util.Optional;

/** A workspace or Enterprise Grid organization as Slack named it in a response. */
public record SlackRef(String id, Optional<String> name) {
}
