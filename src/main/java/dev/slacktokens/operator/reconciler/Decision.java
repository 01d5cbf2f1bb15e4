package dev.slacktokens.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import dev.slacktokens.operator.api.v1alpha1.GoDuration;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;

/**
 * The decision of a reconcile pass: a pure function of what the pass observed, what it already did, and now. In
 * order:
 * <ol>
 * <li>an unusable spec or Slack app: {@link Plan.Invalid};</li>
 * <li>a pair kept in memory because the store did not say it took it ({@code Observed.parked}): {@link Plan.Refresh}
 * of that pair, which settles it first (read back, then written or found there);</li>
 * <li>a re-authorization request not acted on yet: {@link Plan.Discard};</li>
 * <li>{@code spec.importFrom} and no store: {@link Plan.Import}, unless this generation's import was refused for
 * the token's identity ({@link Plan.Refused});</li>
 * <li>no live tokens: {@link Plan.AwaitConsent};</li>
 * <li>a pair due ({@link #due}), not yet tried in this pass, not queued for a rate-limit permit, and no Slack failure
 * in this pass: {@link Plan.Refresh}, the user pair first;</li>
 * <li>a manual refresh request for a token that does not rotate: {@link Plan.MarkHandled};</li>
 * <li>otherwise {@link Plan.Project}, with the next look at the earliest due time, or at the instant a token starts to
 * count as expired ({@link RefreshPolicy#expired}) if that comes first.</li>
 * </ol>
 */
final class Decision {

    /** A referenced Secret is not watched: look again this often while it is missing. */
    static final Duration RECHECK = Duration.ofMinutes(1);

    private Decision() {
    }

    /**
     * What a pass reads before it decides.
     *
     * @param problems      what is wrong with the spec (empty: nothing)
     * @param app           the Slack app's credentials, or why they cannot be used
     * @param store         the connection's token store, if it has one
     * @param refreshBefore the operator's default margin (a spec's own wins)
     * @param linkRecheck   how often a published authorize link is looked at (to re-sign it)
     */
    record Observed(SlackUserConnection connection, List<String> problems, App app, Optional<StoreState> store,
            Duration refreshBefore, Duration linkRecheck, Set<TokenPair> parked) {

        /** Nothing parked in memory. */
        Observed(SlackUserConnection connection, List<String> problems, App app, Optional<StoreState> store,
                Duration refreshBefore, Duration linkRecheck) {
            this(connection, problems, app, store, refreshBefore, linkRecheck, Set.of());
        }

        Observed withStore(Optional<StoreState> next) {
            return new Observed(connection, problems, app, next, refreshBefore, linkRecheck, parked);
        }
    }

    /** The Slack app's credentials, or why they cannot be used. */
    record App(Optional<ClientCredentials> credentials, Optional<String> problem) {
    }

    /**
     * What the pass did so far: the pairs it tried (each at most once), the pairs waiting for a rate-limit permit,
     * the pairs it refreshed, and whether Slack failed (then no other refresh starts in this pass).
     */
    record Pass(Set<TokenPair> attempted, Map<TokenPair, Instant> queued, Set<TokenPair> refreshed,
            boolean slackFailed) {

        static Pass start() {
            return new Pass(Set.of(), Map.of(), Set.of(), false);
        }

        Pass tried(TokenPair pair, boolean refreshedNow, boolean failed) {
            return new Pass(plus(attempted, pair), queued, refreshedNow ? plus(refreshed, pair) : refreshed,
                    slackFailed || failed);
        }

        Pass queued(TokenPair pair, Instant until) {
            Map<TokenPair, Instant> next = new EnumMap<>(TokenPair.class);
            next.putAll(queued);
            next.put(pair, until);
            return new Pass(plus(attempted, pair), next, refreshed, slackFailed);
        }

        private static Set<TokenPair> plus(Set<TokenPair> set, TokenPair pair) {
            Set<TokenPair> next = EnumSet.noneOf(TokenPair.class);
            next.addAll(set);
            next.add(pair);
            return next;
        }
    }

    /**
     * An import refused because the token belongs to another Slack user or workspace is not tried again at the same
     * generation: Slack exchanges a legacy token once, so a second try could only answer token_already_exchanged and
     * hide the reason. The refusal stands until the spec changes.
     */
    private static Optional<Plan> importRefusedForIdentity(SlackUserConnection c) {
        return ReadyCondition.get(c.getStatus())
                .filter(ready -> Reason.IdentityMismatch.name().equals(ready.getReason())
                        && Objects.equals(ready.getObservedGeneration(), c.getMetadata().getGeneration()))
                .map(ready -> new Plan.Refused(Reason.IdentityMismatch, ready.getMessage(), Optional.empty()));
    }

    static Plan decide(Observed seen, Pass pass, Instant now) {
        SlackUserConnection c = seen.connection();
        if (!seen.problems().isEmpty() || seen.app().problem().isPresent()) {
            return new Plan.Invalid(seen.problems().isEmpty() ? seen.app().problem().get()
                    : String.join("; ", seen.problems()),
                    seen.app().problem().map(p -> now.plus(RECHECK)));
        }
        Optional<Plan> settle = seen.parked().stream().filter(p -> startable(p, pass))
                .filter(p -> seen.store().flatMap(StoreState::tokens).flatMap(p::refreshToken).isPresent()).findFirst()
                .map(p -> new Plan.Refresh(p, Optional.empty(), Optional.empty()));
        if (settle.isPresent()) {
            return settle.get();
        }
        Optional<String> reauthorize = annotation(c, Labels.REAUTHORIZE_REQUEST);
        if (seen.store().isPresent() && reauthorize.isPresent()
                && !reauthorize.equals(seen.store().get().reauthorizeHandled())) {
            return new Plan.Discard(reauthorize.get());
        }
        if (seen.store().isEmpty() && c.getSpec().getImportFrom() != null) {
            return importRefusedForIdentity(c).orElseGet(Plan.Import::new);
        }
        Optional<Instant> link = Optional.of(now.plus(seen.linkRecheck()));
        if (seen.store().flatMap(StoreState::tokens).isEmpty()) {
            return new Plan.AwaitConsent(seen.store(), link);
        }
        StoreState store = seen.store().get();
        StoredTokens tokens = store.tokens().get();
        Duration margin = Optional.ofNullable(c.getSpec().getRefreshBefore()).map(GoDuration::parse)
                .orElse(seen.refreshBefore());
        Optional<String> request = annotation(c, Labels.REFRESH_REQUEST).filter(r -> !Optional.of(r)
                .equals(store.refreshHandled()));
        String uid = c.getMetadata().getUid();
        Plan.Due user = due(TokenPair.USER, uid, tokens, store.currentJournal(TokenPair.USER), request.isPresent(),
                margin, now);
        if (user.now() && startable(TokenPair.USER, pass)) {
            return new Plan.Refresh(TokenPair.USER, request, user.scheduledFor());
        }
        if (request.isPresent() && tokens.refreshToken().isEmpty()) {
            return new Plan.MarkHandled(request.get());
        }
        Plan.Due bot = due(TokenPair.BOT, uid, tokens, store.currentJournal(TokenPair.BOT), false, margin, now);
        if (bot.now() && startable(TokenPair.BOT, pass)) {
            return new Plan.Refresh(TokenPair.BOT, Optional.empty(), bot.scheduledFor());
        }
        List<String> missingScopes = c.getSpec().getUserScopes().stream().filter(x -> !tokens.scopes().contains(x))
                .toList();
        // The instants the tokens start to count as expired: the status turns on time, not at the next retry.
        Stream<Instant> expiries = Stream.of(TokenPair.USER, TokenPair.BOT)
                .flatMap(p -> RefreshPolicy.expiryCheck(p.expiresAt(tokens)).stream()).filter(now::isBefore);
        Optional<Instant> next = Stream.concat(Stream.of(next(TokenPair.USER, user, pass), next(TokenPair.BOT, bot,
                pass), missingScopes.isEmpty() ? Optional.<Instant>empty() : link).flatMap(Optional::stream), expiries)
                .map(t -> t.isBefore(now.plus(RefreshPolicy.MIN_WAIT)) ? now.plus(RefreshPolicy.MIN_WAIT) : t)
                .min(Instant::compareTo);
        return new Plan.Project(store, tokens, user, bot, Optional.ofNullable(pass.queued().get(TokenPair.USER)),
                missingScopes, next);
    }

    /**
     * When one pair is refreshed next:
     * <ul>
     * <li>no refresh token (a token that does not rotate): never;</li>
     * <li>an open journal for the current refresh token (an attempt whose answer was never recorded): now, to resume
     * it inside Slack's grace period;</li>
     * <li>recorded failures for the current refresh token: at the journal's {@code retryAt} (backoff or
     * Retry-After), for a manual request too;</li>
     * <li>otherwise at {@link RefreshPolicy#refreshAt}, or now for a manual request.</li>
     * </ul>
     */
    static Plan.Due due(TokenPair pair, String connectionUid, StoredTokens tokens, Optional<RefreshJournal> journal,
            boolean manualRequest, Duration refreshBefore, Instant now) {
        Optional<Instant> expires = pair.expiresAt(tokens);
        if (pair.refreshToken(tokens).isEmpty()) {
            return Plan.Due.NEVER;
        }
        if (journal.isPresent() && journal.get().open()) {
            return new Plan.Due(true, Optional.of(now), journal.filter(j -> j.failures() > 0));
        }
        if (journal.isPresent() && journal.get().failures() > 0) {
            Instant retryAt = journal.get().retryAt().orElse(now);
            return new Plan.Due(!now.isBefore(retryAt), Optional.of(retryAt), journal);
        }
        if (manualRequest) {
            return new Plan.Due(true, Optional.of(now), Optional.empty());
        }
        if (expires.isEmpty()) {
            return Plan.Due.NEVER;
        }
        Instant at = RefreshPolicy.refreshAt(pair.jitterSeed(connectionUid), pair.issuedAt(tokens), expires.get(),
                refreshBefore);
        return new Plan.Due(!now.isBefore(at), Optional.of(at), Optional.empty(), true);
    }

    private static boolean startable(TokenPair pair, Pass pass) {
        return !pass.attempted().contains(pair) && !pass.slackFailed();
    }

    private static Optional<Instant> next(TokenPair pair, Plan.Due due, Pass pass) {
        return Optional.ofNullable(pass.queued().get(pair)).or(due::at);
    }

    static Optional<String> annotation(SlackUserConnection c, String key) {
        var a = c.getMetadata().getAnnotations();
        return a == null ? Optional.empty() : Optional.ofNullable(a.get(key));
    }
}
