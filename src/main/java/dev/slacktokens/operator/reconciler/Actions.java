package dev.slacktokens.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;

/**
 * Carries out the {@link Plan.Action}s of a pass and says what the pass knows afterwards: the token store as written
 * (or re-read after another writer won), what was tried, or a final plan when the action ends the pass (a refused
 * import).
 */
@ApplicationScoped
class Actions {

    @Inject
    TokenStore store;
    @Inject
    TokenRefresher refresher;
    @Inject
    LegacyImport legacyImport;
    @Inject
    Grants grants;
    @Inject
    OperatorMetrics metrics;

    /** After an action: what the pass decides from next, or the plan that ends it. */
    record Result(Decision.Observed seen, Decision.Pass pass, Optional<Plan.Final> end) {
    }

    Result run(SlackUserConnection c, Plan.Action plan, Decision.Observed seen, Decision.Pass pass, Instant now) {
        String uid = c.getMetadata().getUid();
        if (plan instanceof Plan.Refresh r) {
            var app = seen.app().credentials().orElseThrow();
            var outcome = refresher.refresh(c, seen.store().orElseThrow(), r.pair(), app, r.manualRequest());
            if (outcome instanceof RefreshOutcome.Refreshed x) {
                r.scheduledFor().ifPresent(at -> r.pair().expiresAt(seen.store().get().tokens().orElseThrow())
                        .ifPresent(expires -> metrics.refreshTiming(Duration.between(at, now),
                                Duration.between(now, expires))));
                return next(seen, Optional.of(x.store()), pass.tried(r.pair(), true, false));
            }
            if (outcome instanceof RefreshOutcome.Failed x) {
                return next(seen, Optional.of(x.store()), pass.tried(r.pair(), false, true));
            }
            if (outcome instanceof RefreshOutcome.Dead x) {
                return next(seen, Optional.of(x.store()), pass.tried(r.pair(), false, false));
            }
            if (outcome instanceof RefreshOutcome.Queued q) {
                return next(seen, seen.store(), pass.queued(r.pair(), now.plus(q.delay())));
            }
            // Superseded: another writer changed the store; decide again from what it holds now.
            return next(seen, store.fetch(uid), pass.tried(r.pair(), false, false));
        }
        if (plan instanceof Plan.Import) {
            Optional<Plan.Refused> refused = legacyImport.run(c, seen.app().credentials().orElseThrow(), now);
            return refused.isPresent() ? new Result(seen, pass, Optional.of(refused.get()))
                    : next(seen, store.fetch(uid), pass);
        }
        StoreState current = seen.store().orElseThrow();
        if (plan instanceof Plan.Discard d) {
            current.tokens().ifPresent(t -> grants.revokeQuietly(Grants.all(t), "a discarded token"));
            return update(seen, pass, current, s -> {
                if (s.reauthorizeHandled().equals(Optional.of(d.request()))) {
                    return Optional.empty(); // a consent after the request already answered it
                }
                // tokens stored meanwhile (a refresh of the discarded grant) are revoked too
                s.tokens().filter(t -> !current.tokens().map(t::equals).orElse(false))
                        .ifPresent(t -> grants.revokeQuietly(Grants.all(t), "a discarded token"));
                return Optional.of(s.dead(Reason.ReauthorizationRequired, "Re-authorization was requested "
                        + "(annotation slacktokens.dev/reauthorize); the old tokens were revoked. Open "
                        + "status.authorizeUrl to authorize again").reauthorizeHandled(d.request()));
            });
        }
        String request = ((Plan.MarkHandled) plan).request();
        return update(seen, pass, current, s -> Optional.of(s.refreshHandled(request)));
    }

    /** Writes the change through {@link TokenStore#update}; the pass decides again from what the store holds. */
    private Result update(Decision.Observed seen, Decision.Pass pass, StoreState current,
            java.util.function.Function<StoreState, Optional<StoreState>> change) {
        Optional<StoreState> written = store.update(current, change);
        return next(seen, written.isPresent() ? written : store.fetch(current.owner().uid()), pass);
    }

    private static Result next(Decision.Observed seen, Optional<StoreState> store, Decision.Pass pass) {
        return new Result(seen.withStore(store), pass, Optional.empty());
    }
}
