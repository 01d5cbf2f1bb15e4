package dev.slacktokens.operator.connection;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.store.Labels;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

/**
 * The signing key shared by every replica: read from a Secret in the operator's namespace, created with a random
 * key on first use if absent. Two replicas creating it at once end with one key: the loser of the create reads
 * the winner's.
 */
@ApplicationScoped
public class StateKeys {

    private static final Logger LOG = Logger.getLogger(StateKeys.class);
    static final String KEY = "key";

    private final KubernetesClient client;
    private final String namespace;
    private final String secretName;
    private final Clock clock;
    private volatile StateCodec codec;

    @Inject
    StateKeys(KubernetesClient client, OperatorConfig config, Clock clock) {
        this(client, config.namespace(), config.stateKeySecret(), clock);
    }

    public StateKeys(KubernetesClient client, String namespace, String secretName, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.secretName = secretName;
        this.clock = clock;
    }

    public StateCodec codec() {
        StateCodec c = codec;
        if (c == null) {
            synchronized (this) {
                if (codec == null) {
                    codec = new StateCodec(loadOrCreate(), clock);
                }
                c = codec;
            }
        }
        return c;
    }

    private byte[] loadOrCreate() {
        var secrets = client.secrets().inNamespace(namespace);
        Secret secret = secrets.withName(secretName).get();
        if (secret == null) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Secret desired = new SecretBuilder().withNewMetadata().withName(secretName)
                    .withNamespace(namespace).addToLabels(Labels.MANAGED_BY, Labels.MANAGER).endMetadata()
                    .withType("Opaque").withData(Map.of(KEY, Base64.getEncoder().encodeToString(key))).build();
            try {
                secret = secrets.resource(desired).create();
                LOG.infof("Created the OAuth state key Secret %s/%s", namespace, secretName);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                secret = secrets.withName(secretName).get();
            }
        }
        String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(KEY);
        if (encoded == null) {
            throw new IllegalStateException("Secret " + namespace + "/" + secretName
                    + " has no key '" + KEY + "'");
        }
        return Base64.getDecoder().decode(encoded);
    }
}
