package dev.slacktokens.operator.store;

import java.util.Collection;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/** The one writer of workload Secrets: writes the desired one when the live one falls short, never takes over one it
 * does not own, removes ones left behind by a rename, and lets one go on deletion with {@code Retain}. */
@ApplicationScoped
public class WorkloadSecretWriter {

    public static final String FIELD_MANAGER = "slack-token-operator";

    @Inject
    KubernetesClient client;
    @Inject
    OperatorConfig config;

    /**
     * Writes {@code desired} if the connection's Secrets (from the cache of labelled Secrets) do not already say it,
     * and deletes the connection's workload Secrets under other names. Returns why not, when the name is taken by a
     * Secret the connection does not own (it is never taken over).
     */
    public Optional<String> project(SlackUserConnection c, Secret desired, Collection<Secret> owned) {
        String name = desired.getMetadata().getName();
        String namespace = desired.getMetadata().getNamespace();
        Secret live = owned.stream().filter(s -> WorkloadSecrets.isWorkload(s) && name.equals(s.getMetadata()
                .getName())).findFirst().orElse(null);
        if (live == null) {
            // Not in the cache of our labelled Secrets: never take over a Secret someone else made.
            Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
            if (existing != null && !WorkloadSecrets.ownedBy(existing, c.getMetadata().getUid())) {
                return Optional.of("Secret " + namespace + "/" + name + " already exists and is not managed by this "
                        + "SlackUserConnection; choose another spec.secretName or delete that Secret");
            }
        }
        if (!WorkloadSecrets.satisfies(live, desired)) {
            var resource = client.secrets().inNamespace(namespace).resource(desired);
            if (config.serverSideApply()) {
                resource.patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                        .withFieldManager(FIELD_MANAGER).withForce(true).build());
            } else {
                resource.createOr(existing -> existing.update());
            }
        }
        owned.stream().filter(s -> WorkloadSecrets.isWorkload(s) && !name.equals(s.getMetadata().getName()))
                .forEach(stale -> client.secrets().inNamespace(stale.getMetadata().getNamespace())
                        .withName(stale.getMetadata().getName()).delete());
        return Optional.empty();
    }

    /** Deletion with {@code Retain}: the Secret keeps its last access token and no longer goes with the connection. */
    public boolean release(SlackUserConnection c) {
        var secret = client.secrets().inNamespace(c.getMetadata().getNamespace()).withName(WorkloadSecrets.name(c));
        if (secret.get() == null) {
            return false;
        }
        secret.edit(s -> {
            s.getMetadata().setOwnerReferences(null);
            return s;
        });
        return true;
    }
}
