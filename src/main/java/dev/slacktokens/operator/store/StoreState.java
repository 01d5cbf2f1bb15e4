package dev.slacktokens.operator.store;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.slacktokens.operator.api.v1alpha1.Reason;

/**
 * What one connection's token store holds, typed (pure; {@link StoreCodec} maps it to and from the Secret): the
 * tokens, the non-secret identity kept after they die, each pair's refresh journal, the dead and handled markers, the
 * authorization count, and the resourceVersion it was read at (null: not stored yet). Every change is a new value;
 * {@link TokenStore#write} stores it compare-and-set.
 *
 * @param identity        the decoded non-token fields (user, team, enterprise, app ids and names, scopes, times)
 * @param other           annotations this version does not know, kept as they are
 */
public record StoreState(Owner owner, Optional<StoredTokens> tokens, Map<String, String> identity,
        Map<TokenPair, RefreshJournal> journals, Optional<Death> dead, Optional<String> botDead,
        Optional<String> refreshHandled, Optional<String> reauthorizeHandled, long authorizations,
        Optional<String> consumedState, Optional<String> imported, Map<String, String> other,
        String resourceVersion) {

    public StoreState {
        identity = Map.copyOf(identity);
        journals = journals.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(journals));
        other = Map.copyOf(other);
    }

    /** Whose store it is: the connection's namespace, full name and uid. */
    public record Owner(String namespace, String name, String uid) {

        @Override
        public String toString() {
            return namespace + "/" + name;
        }
    }

    /** Why the tokens were dropped: the Ready reason to show and a message for people. */
    public record Death(Reason reason, String message) {

        String encode() {
            return reason.name() + ": " + message;
        }

        static Death decode(String text) {
            int colon = text.indexOf(':');
            Reason reason = text.startsWith(Reason.Revoked.name()) ? Reason.Revoked : Reason.ReauthorizationRequired;
            return new Death(reason, colon < 0 ? text : text.substring(colon + 1).trim());
        }
    }

    /** A first authorization's store (nothing stored yet). */
    public static StoreState empty(Owner owner) {
        return new StoreState(owner, Optional.empty(), Map.of(), Map.of(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), 0, Optional.empty(), Optional.empty(), Map.of(), null);
    }

    public Optional<RefreshJournal> journal(TokenPair pair) {
        return Optional.ofNullable(journals.get(pair));
    }

    /** This pair's journal, if it is about the pair's current refresh token. */
    public Optional<RefreshJournal> currentJournal(TokenPair pair) {
        var refreshToken = tokens.flatMap(pair::refreshToken);
        return refreshToken.flatMap(t -> journal(pair).filter(j -> j.isFor(t)));
    }

    public StoreState withJournal(TokenPair pair, RefreshJournal journal) {
        Map<TokenPair, RefreshJournal> next = new EnumMap<>(TokenPair.class);
        next.putAll(journals);
        next.put(pair, journal);
        return with(tokens, identity, next, dead, botDead, refreshHandled);
    }

    /** {@code next} (the tokens after a refresh of {@code pair}) stored, with the pair's journal closed. */
    public StoreState refreshed(TokenPair pair, StoredTokens next, Optional<String> manualRequest) {
        Map<TokenPair, RefreshJournal> open = new EnumMap<>(TokenPair.class);
        open.putAll(journals);
        open.remove(pair);
        return with(Optional.of(next), StoreCodec.identityOf(next), open, dead, botDead,
                manualRequest.or(() -> refreshHandled));
    }

    /** The tokens dropped (the identity kept), every journal closed, and why. */
    public StoreState dead(Reason reason, String message) {
        Map<String, String> kept = new LinkedHashMap<>(identity);
        kept.remove("expires_at");
        return with(Optional.empty(), kept, Map.of(), Optional.of(new Death(reason, message)), botDead,
                refreshHandled);
    }

    /** The bot pair dropped (Slack no longer accepts it), the user's kept. */
    public StoreState withoutBot(String why) {
        StoredTokens next = tokens.orElseThrow().withBot(Optional.empty());
        Map<TokenPair, RefreshJournal> open = new EnumMap<>(TokenPair.class);
        open.putAll(journals);
        open.remove(TokenPair.BOT);
        return with(Optional.of(next), StoreCodec.identityOf(next), open, dead, Optional.of(why), refreshHandled);
    }

    /** A manual refresh request acted on without a refresh (a token that does not rotate). */
    public StoreState refreshHandled(String request) {
        return with(tokens, identity, journals, dead, botDead, Optional.of(request));
    }

    /** A re-authorization request acted on. */
    public StoreState reauthorizeHandled(String request) {
        return new StoreState(owner, tokens, identity, journals, dead, botDead, refreshHandled, Optional.of(request),
                authorizations, consumedState, imported, other, resourceVersion);
    }

    /**
     * A completed authorization (consent or import) replacing whatever was stored: the authorization count moves on.
     * A manual request already present on the connection when these tokens were obtained is not about them, so it is
     * marked handled; otherwise the handled markers of the previous tokens are kept.
     */
    public StoreState authorized(StoredTokens fresh, Map<String, String> connectionAnnotations,
            Optional<String> consumed, Optional<String> importedFrom) {
        Map<String, String> requests = connectionAnnotations == null ? Map.of() : connectionAnnotations;
        return new StoreState(owner, Optional.of(fresh), StoreCodec.identityOf(fresh), Map.of(), Optional.empty(),
                Optional.empty(), Optional.ofNullable(requests.get(Labels.REFRESH_REQUEST)).or(() -> refreshHandled),
                Optional.ofNullable(requests.get(Labels.REAUTHORIZE_REQUEST)).or(() -> reauthorizeHandled),
                authorizations + 1, consumed, importedFrom, other,
                resourceVersion);
    }

    public StoreState atResourceVersion(String rv) {
        return new StoreState(owner, tokens.map(t -> t.withResourceVersion(rv)), identity, journals, dead, botDead,
                refreshHandled, reauthorizeHandled, authorizations, consumedState, imported, other, rv);
    }

    private StoreState with(Optional<StoredTokens> t, Map<String, String> id, Map<TokenPair, RefreshJournal> j,
            Optional<Death> d, Optional<String> bd, Optional<String> rh) {
        return new StoreState(owner, t, id, j, d, bd, rh, reauthorizeHandled, authorizations, consumedState, imported,
                other, resourceVersion);
    }
}
