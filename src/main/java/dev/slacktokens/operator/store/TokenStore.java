package dev.slacktokens.operator.store;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.config.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The token stores (one Secret per connection in the operator's namespace, named from the connection's uid): the
 * source of truth, and the only place that holds refresh tokens. One write path, compare-and-set on the
 * resourceVersion the state was read at; the format is {@link StoreCodec}'s.
 */
@ApplicationScoped
public class TokenStore {

    @Inject
    KubernetesClient client;
    @Inject
    OperatorConfig config;

    /** A compare-and-set write lost against another writer; re-read and decide again. */
    public static final class ConflictException extends RuntimeException {
        public ConflictException(String message) {
            super(message, null, false, false);
        }
    }

    public static String storeName(String connectionUid) {
        return StoreCodec.storeName(connectionUid);
    }

    public String namespace() {
        return config.namespace();
    }

    /** Reads a store directly from the API server (not from a cache that may predate the last write). */
    public Optional<StoreState> fetch(String connectionUid) {
        return Optional.ofNullable(client.secrets().inNamespace(namespace()).withName(storeName(connectionUid)).get())
                .map(StoreCodec::decode);
    }

    /** All token stores, read directly (for the events endpoint and the resumer, which run without the cache). */
    public List<StoreState> list() {
        return client.secrets().inNamespace(namespace()).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .withLabel(Labels.ROLE, Labels.ROLE_STORE).list().getItems().stream().map(StoreCodec::decode)
                .toList();
    }

    /**
     * Stores {@code next}: creates it when it was never stored (no resourceVersion), else replaces it only if the
     * store is still at that resourceVersion. Returns the state at its new resourceVersion.
     */
    public StoreState write(StoreState next) {
        var secrets = client.secrets().inNamespace(namespace());
        var resource = secrets.resource(StoreCodec.encode(next, namespace()));
        try {
            var saved = next.resourceVersion() == null ? resource.create() : resource.update();
            return next.atResourceVersion(saved.getMetadata().getResourceVersion());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw new ConflictException("token store of " + next.owner() + " was changed by another writer");
            }
            throw e;
        }
    }

    /** What a store read back after a write that did not say it landed shows, compared by content. */
    public enum ReadBack {
        /** It holds the written tokens: the write landed. */
        LANDED,
        /** It holds other tokens, or none, or there is no store: the write did not land. */
        NOT_LANDED,
        /** It could not be read: the write may have landed. */
        UNKNOWN
    }

    /**
     * After a write of {@code next} failed without saying whether it landed (a timeout, a 5xx, a lost answer, or a
     * conflict): reads the store back and compares its tokens with {@code next}'s, both access and refresh token.
     */
    public ReadBack readBack(StoreState next) {
        Optional<StoredTokens> held;
        try {
            held = fetch(next.owner().uid()).flatMap(StoreState::tokens);
        } catch (RuntimeException e) {
            return ReadBack.UNKNOWN;
        }
        StoredTokens mine = next.tokens().orElseThrow();
        return held.filter(t -> t.accessToken().equals(mine.accessToken())
                && t.refreshToken().equals(mine.refreshToken())).isPresent() ? ReadBack.LANDED : ReadBack.NOT_LANDED;
    }

    /** How many times {@link #update} reads and re-applies a change that lost compare-and-set races. */
    static final int UPDATE_TRIES = 5;

    /**
     * The one compare-and-set helper for writers whose change can be applied again to whatever the store holds
     * (revocation events, re-authorization requests, handled markers): writes {@code change(current)}; on a conflict
     * reads the store again and applies the change to what it holds now, up to {@link #UPDATE_TRIES} times. The change
     * may decline (empty) when it no longer applies. Returns the stored state, or empty when the change declined or the
     * store is gone; a store that keeps changing is a {@link ConflictException} after the last try.
     */
    public Optional<StoreState> update(StoreState current, Function<StoreState, Optional<StoreState>> change) {
        StoreState base = current;
        for (int attempt = 1;; attempt++) {
            Optional<StoreState> next = change.apply(base);
            if (next.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(write(next.get()));
            } catch (ConflictException e) {
                if (attempt == UPDATE_TRIES) {
                    throw e;
                }
                Optional<StoreState> reread = fetch(base.owner().uid());
                if (reread.isEmpty()) {
                    return Optional.empty();
                }
                base = reread.get();
            }
        }
    }

    /** Deletes a connection's token store (finalizer, or a callback that lost a race with deletion). */
    public void delete(String connectionUid) {
        client.secrets().inNamespace(namespace()).withName(storeName(connectionUid)).delete();
    }
}
