package dev.slacktokens.operator.oauth;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

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
    private final OperatorConfig config;
    private final Clock clock;
    private volatile StateCodec codec;

    StateKeys(KubernetesClient client, OperatorConfig config, Clock clock) {
        this.client = client;
        this.config = config;
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
        var secrets = client.secrets().inNamespace(config.namespace());
        Secret secret = secrets.withName(config.stateKeySecret()).get();
        if (secret == null) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Secret desired = new SecretBuilder().withNewMetadata().withName(config.stateKeySecret())
                    .withNamespace(config.namespace()).addToLabels(Labels.MANAGED_BY, Labels.MANAGER).endMetadata()
                    .withType("Opaque").withData(Map.of(KEY, Base64.getEncoder().encodeToString(key))).build();
            try {
                secret = secrets.resource(desired).create();
                LOG.infof("Created the OAuth state key Secret %s/%s", config.namespace(), config.stateKeySecret());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                secret = secrets.withName(config.stateKeySecret()).get();
            }
        }
        String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(KEY);
        if (encoded == null) {
            throw new IllegalStateException("Secret " + config.namespace() + "/" + config.stateKeySecret()
                    + " has no key '" + KEY + "'");
        }
        return Base64.getDecoder().decode(encoded);
    }
}
