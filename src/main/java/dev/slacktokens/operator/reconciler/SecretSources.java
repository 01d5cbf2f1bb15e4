package dev.slacktokens.operator.reconciler;

import java.util.List;
import java.util.Set;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoreCodec;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;

/**
 * The only Secrets the operator caches, both label-selected (never all Secrets of the cluster): the token stores
 * in the operator's namespace and the workload Secrets it owns.
 */
final class SecretSources {

    static final String STORE = "token-store";
    static final String WORKLOAD = "workload-secret";

    private SecretSources() {
    }

    static List<EventSource<?, SlackUserConnection>> of(EventSourceContext<SlackUserConnection> ctx,
            String operatorNamespace) {
        var tokenStores = InformerEventSourceConfiguration.from(Secret.class, SlackUserConnection.class)
                .withName(STORE).withNamespaces(operatorNamespace).withLabelSelector(Labels.STORE_SELECTOR)
                .withSecondaryToPrimaryMapper(SecretSources::connectionOf)
                .withPrimaryToSecondaryMapper((SlackUserConnection c) -> Set.of(
                        new ResourceID(StoreCodec.storeName(c.getMetadata().getUid()), operatorNamespace)))
                .withItemStore(LeanCache.store()).build();
        var workloads = InformerEventSourceConfiguration.from(Secret.class, SlackUserConnection.class)
                .withName(WORKLOAD).withNamespacesInheritedFromController()
                .withLabelSelector(Labels.WORKLOAD_SELECTOR)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SlackUserConnection.class))
                .withItemStore(LeanCache.store()).build();
        return List.of(new InformerEventSource<>(tokenStores, ctx), new InformerEventSource<>(workloads, ctx));
    }

    /** A token store points back to its connection through labels (it lives in another namespace). */
    static Set<ResourceID> connectionOf(Secret store) {
        var labels = store.getMetadata().getLabels();
        if (labels == null || labels.get(Labels.CONNECTION) == null || labels.get(Labels.CONNECTION_NAMESPACE) == null) {
            return Set.of();
        }
        return Set.of(new ResourceID(StoreCodec.ownerOf(store).name(), labels.get(Labels.CONNECTION_NAMESPACE)));
    }
}
