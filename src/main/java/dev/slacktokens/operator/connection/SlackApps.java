package dev.slacktokens.operator.connection;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SecretKeyRef;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.slack.ClientCredentials;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Which Slack app a connection uses and its credentials: {@code spec.slackApp} (secret read with a direct GET from
 * the connection's own namespace, never cached) or the operator's default app.
 */
@ApplicationScoped
public class SlackApps {

    @Inject
    KubernetesClient client;
    @Inject
    OperatorConfig config;

    /** The spec names an app the operator cannot use; the message says what to fix. */
    public static final class UnusableAppException extends Exception {
        public UnusableAppException(String message) {
            super(message, null, false, false);
        }
    }

    public String clientId(SlackUserConnection connection) throws UnusableAppException {
        var app = connection.getSpec().getSlackApp();
        if (app != null) {
            return app.getClientId();
        }
        return config.slack().clientId().orElseThrow(() -> new UnusableAppException(
                "the operator has no default Slack app (slack-operator.slack.client-id is not set); "
                        + "set spec.slackApp or configure the operator"));
    }

    /** The credentials for oauth.v2.access: a public client for PKCE connections, else id and secret. */
    public ClientCredentials credentials(SlackUserConnection connection) throws UnusableAppException {
        String clientId = clientId(connection);
        if (Boolean.TRUE.equals(connection.getSpec().getPkce())) {
            return ClientCredentials.publicClient(clientId);
        }
        var app = connection.getSpec().getSlackApp();
        if (app == null) {
            return ClientCredentials.confidential(clientId, config.slack().clientSecret().orElseThrow(
                    () -> new UnusableAppException("the operator's default Slack app has no client secret "
                            + "(slack-operator.slack.client-secret is not set)")));
        }
        return ClientCredentials.confidential(clientId,
                readKey(connection.getMetadata().getNamespace(), app.getClientSecretRef(), "spec.slackApp"));
    }

    /** Reads one key of a Secret in the connection's namespace; the message names what is missing. */
    public String readKey(String namespace, SecretKeyRef ref, String field) throws UnusableAppException {
        Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        if (secret == null) {
            throw new UnusableAppException(field + " refers to Secret " + namespace + "/" + ref.getName()
                    + ", which does not exist");
        }
        String encoded = secret.getData() == null ? null : secret.getData().get(ref.getKey());
        if (encoded == null || encoded.isBlank()) {
            throw new UnusableAppException(field + " refers to key '" + ref.getKey() + "' of Secret " + namespace
                    + "/" + ref.getName() + ", which is missing or empty");
        }
        return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).trim();
    }
}
