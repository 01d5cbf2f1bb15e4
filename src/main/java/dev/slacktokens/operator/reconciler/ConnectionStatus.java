package dev.slacktokens.operator.reconciler;

import java.util.ArrayList;
import java.util.List;

import dev.slacktokens.operator.api.v1alpha1.SlackEntity;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.store.StoredTokens;

/** Pure status shaping: what the status says for a connection with or without tokens. */
final class ConnectionStatus {

    private ConnectionStatus() {
    }

    static String secretName(SlackUserConnection connection) {
        String own = connection.getSpec().getSecretName();
        return own != null ? own : connection.getMetadata().getName();
    }

    /** Requested user scopes that Slack did not grant. */
    static List<String> missingScopes(SlackUserConnection connection, StoredTokens tokens) {
        List<String> missing = new ArrayList<>(connection.getSpec().getUserScopes());
        missing.removeAll(tokens.scopes());
        return missing;
    }

    static void clearIdentity(SlackUserConnectionStatus status) {
        status.setUser(null);
        status.setTeam(null);
        status.setEnterprise(null);
        status.setGrantedScopes(null);
        status.setMissingScopes(null);
        status.setExpiresAt(null);
        status.setSecretName(null);
    }

    static void showIdentity(SlackUserConnectionStatus status, SlackUserConnection connection, StoredTokens tokens) {
        status.setUser(new SlackEntity(tokens.userId(), tokens.userName().orElse(null)));
        status.setTeam(tokens.teamId().map(id -> new SlackEntity(id, tokens.teamName().orElse(null))).orElse(null));
        status.setEnterprise(tokens.enterpriseId()
                .map(id -> new SlackEntity(id, tokens.enterpriseName().orElse(null))).orElse(null));
        status.setGrantedScopes(tokens.scopes());
        List<String> missing = missingScopes(connection, tokens);
        status.setMissingScopes(missing.isEmpty() ? null : missing);
        status.setExpiresAt(tokens.expiresAt().map(Object::toString).orElse(null));
        status.setSecretName(secretName(connection));
    }

    static String who(StoredTokens tokens) {
        String user = tokens.userId() + tokens.userName().map(n -> " (" + n + ")").orElse("");
        String where = tokens.teamId().map(id -> "workspace " + id + tokens.teamName().map(n -> " (" + n + ")")
                .orElse("")).orElseGet(() -> "organization " + tokens.enterpriseId().orElse("?"));
        return "Slack user " + user + " in " + where;
    }
}
