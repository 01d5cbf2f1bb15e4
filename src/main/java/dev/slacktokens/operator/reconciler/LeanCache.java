package dev.slacktokens.operator.reconciler;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * The informer caches keep objects without {@code metadata.managedFields}: nothing here reads them (server-side
 * apply computes ownership on the server), and they were the largest part of the heap per connection — each field
 * set is a tree of maps (measured with {@code bench/run.sh scale}: docs/benchmarks.md).
 */
final class LeanCache {

    private LeanCache() {
    }

    static <R extends HasMetadata> R strip(R resource) {
        if (resource.getMetadata() != null) {
            resource.getMetadata().setManagedFields(null);
        }
        return resource;
    }

    /** A cache of one informer (each informer needs its own). */
    static <R extends HasMetadata> ItemStore<R> store() {
        return new TransformingItemStore<>(LeanCache::strip);
    }

    /** The connections' cache, named in the controller's {@code @Informer} (which wants a class). */
    public static final class Connections extends TransformingItemStore<SlackUserConnection> {
        public Connections() {
            super(LeanCache::strip);
        }
    }
}
