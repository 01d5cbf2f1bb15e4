package dev.slacktokens.operator.reconciler;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.SlackEntity;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * What the informer caches keep of each object, measured with {@code bench/run.sh scale} (docs/benchmarks.md):
 * <ul>
 * <li>no {@code metadata.managedFields}: nothing here reads them (server-side apply computes ownership on the
 * server), and they were the largest part of the heap per connection — each field set is a tree of maps;</li>
 * <li>one copy of the strings that repeat from object to object (namespaces, label values, owner kinds, Secret types,
 * the Slack team and app and the scopes in the Secrets' data, condition types and reasons): each object comes from
 * its own JSON, so without this every cached object carries its own copies.</li>
 * </ul>
 * Only equal strings are swapped for one another: what the cache holds reads the same.
 */
final class LeanCache {

    /** Secret data whose values repeat across connections (base64 of the team, app, scopes, token type). */
    private static final Set<String> SHARED_DATA = Set.of("team_id", "team_name", "enterprise_id", "enterprise_name",
            "app_id", "scope", "token_type");

    private LeanCache() {
    }

    static <R extends HasMetadata> R strip(R resource) {
        ObjectMeta m = resource.getMetadata();
        if (m != null) {
            m.setManagedFields(null);
            m.setNamespace(shared(m.getNamespace()));
            shareValues(m.getLabels());
            if (m.getOwnerReferences() != null) {
                for (OwnerReference o : m.getOwnerReferences()) {
                    o.setApiVersion(shared(o.getApiVersion()));
                    o.setKind(shared(o.getKind()));
                }
            }
        }
        if (resource instanceof Secret s) {
            s.setType(shared(s.getType()));
            if (s.getData() != null) {
                replaceAll(s.getData(), (k, v) -> SHARED_DATA.contains(k) ? shared(v) : v);
            }
        }
        if (resource instanceof SlackUserConnection c && c.getStatus() != null) {
            share(c.getStatus());
        }
        return resource;
    }

    private static void share(SlackUserConnectionStatus s) {
        if (s.getConditions() != null) {
            for (Condition x : s.getConditions()) {
                x.setType(shared(x.getType()));
                x.setStatus(shared(x.getStatus()));
                x.setReason(shared(x.getReason()));
            }
        }
        for (SlackEntity e : new SlackEntity[] { s.getTeam(), s.getEnterprise() }) {
            if (e != null) {
                e.setId(shared(e.getId()));
                e.setName(shared(e.getName()));
            }
        }
        shareAll(s.getGrantedScopes());
        shareAll(s.getMissingScopes());
    }

    private static void shareValues(Map<String, String> map) {
        if (map != null) {
            replaceAll(map, (k, v) -> shared(v));
        }
    }

    private static void shareAll(List<String> list) {
        if (list != null) {
            try {
                list.replaceAll(LeanCache::shared);
            } catch (UnsupportedOperationException immutable) {
                // not from JSON: left as it is
            }
        }
    }

    private static void replaceAll(Map<String, String> map, BiFunction<String, String, String> f) {
        try {
            map.replaceAll(f);
        } catch (UnsupportedOperationException immutable) {
            // not from JSON: left as it is
        }
    }

    private static String shared(String s) {
        return s == null ? null : s.intern();
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
