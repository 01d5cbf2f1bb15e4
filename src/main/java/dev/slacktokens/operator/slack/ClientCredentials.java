package dev.slacktokens.operator.slack;

import java.util.Optional;

/**
 * A Slack app's client id and, for confidential clients, its client secret. PKCE apps are public clients and
 * have no secret in the exchange.
 */
public record ClientCredentials(String clientId, Optional<String> clientSecret) {

    public ClientCredentials {
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("Slack client id is empty");
        }
        clientSecret = clientSecret.filter(s -> !s.isBlank());
    }

    public static ClientCredentials confidential(String clientId, String clientSecret) {
        return new ClientCredentials(clientId, Optional.ofNullable(clientSecret));
    }

    public static ClientCredentials publicClient(String clientId) {
        return new ClientCredentials(clientId, Optional.empty());
    }

    @Override
    public String toString() {
        return "ClientCredentials[clientId=" + clientId + ", clientSecret=" + (clientSecret.isPresent() ? "***" : "none")
                + "]";
    }
}
