package dev.slacktokens.operator.reconciler;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackEntity;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import dev.slacktokens.operator.store.WorkloadSecrets;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * The status a pass ends with (pure): built from the previous status, the final plan and what the pass did. The
 * only place that writes a connection's status.
 */
final class StatusBuilder {

    /** The Ready condition to show. */
    record Ready(boolean status, Reason reason, String message) {
    }

    private StatusBuilder() {
    }

    /**
     * @param authorizeUrl the link to publish (only read when the plan publishes one)
     * @param oauthLimit   the operator's own oauth.v2.access calls per minute (for the message of a queued refresh)
     */
    static SlackUserConnectionStatus build(SlackUserConnection c, Plan.Final plan, Decision.Pass pass,
            Optional<String> authorizeUrl, int oauthLimit, Instant now) {
        SlackUserConnectionStatus s = copy(c.getStatus());
        s.setObservedGeneration(c.getMetadata().getGeneration());
        Ready ready;
        if (plan instanceof Plan.Invalid p) {
            s.setAuthorizeUrl(null);
            ready = new Ready(false, Reason.InvalidSpec, p.message());
        } else if (plan instanceof Plan.Refused p) {
            s.setAuthorizeUrl(authorizeUrl.orElse(null));
            ready = new Ready(false, p.reason(), p.message());
        } else if (plan instanceof Plan.AwaitConsent p) {
            ready = awaitConsent(s, p, authorizeUrl);
        } else {
            ready = project(s, c, (Plan.Project) plan, pass, authorizeUrl, oauthLimit, now);
        }
        ReadyCondition.set(s, ready.status(), ready.reason(), ready.message(), c.getMetadata().getGeneration(), now);
        return s;
    }

    private static Ready awaitConsent(SlackUserConnectionStatus s, Plan.AwaitConsent p,
            Optional<String> authorizeUrl) {
        s.setAuthorizeUrl(authorizeUrl.orElse(null));
        s.setExpiresAt(null);
        s.setRefreshAt(null);
        s.setFailedRefreshAttempts(null);
        s.setLastFailureTime(null);
        var dead = p.store().flatMap(x -> x.dead());
        if (dead.isPresent()) {
            return new Ready(false, dead.get().reason(), dead.get().message());
        }
        s.setUser(null);
        s.setTeam(null);
        s.setEnterprise(null);
        s.setGrantedScopes(null);
        s.setMissingScopes(null);
        s.setSecretName(null);
        return new Ready(false, Reason.AwaitingAuthorization,
                "Waiting for a Slack user to authorize: open the link in status.authorizeUrl");
    }

    private static Ready project(SlackUserConnectionStatus s, SlackUserConnection c, Plan.Project p,
            Decision.Pass pass, Optional<String> authorizeUrl, int oauthLimit, Instant now) {
        StoredTokens tokens = p.tokens();
        if (pass.refreshed().contains(TokenPair.USER)) {
            s.setLastRefreshTime(now.toString());
        } else if (s.getLastRefreshTime() != null && tokens.issuedAt().isAfter(Instant.parse(s.getLastRefreshTime()))) {
            // Tokens newer than the last refresh came from a new authorization: that history is not theirs.
            s.setLastRefreshTime(null);
        }
        s.setUser(new SlackEntity(tokens.userId(), tokens.userName().orElse(null)));
        s.setTeam(tokens.teamId().map(id -> new SlackEntity(id, tokens.teamName().orElse(null))).orElse(null));
        s.setEnterprise(tokens.enterpriseId().map(id -> new SlackEntity(id, tokens.enterpriseName().orElse(null)))
                .orElse(null));
        s.setGrantedScopes(tokens.scopes());
        List<String> missing = p.missingScopes();
        s.setMissingScopes(missing.isEmpty() ? null : missing);
        s.setExpiresAt(tokens.expiresAt().map(Object::toString).orElse(null));
        s.setSecretName(WorkloadSecrets.name(c));
        s.setRefreshAt(p.user().at().map(Instant::toString).orElse(null));
        Optional<RefreshJournal> failures = p.user().failures();
        s.setFailedRefreshAttempts(failures.map(RefreshJournal::failures).orElse(null));
        s.setLastFailureTime(failures.flatMap(RefreshJournal::failedAt).map(Instant::toString).orElse(null));
        s.setAuthorizeUrl(null);
        boolean valid = !RefreshPolicy.expired(tokens.expiresAt(), now);
        String expiry = tokens.expiresAt().map(Object::toString).orElse("?");
        String validity = valid ? "the current token stays valid until " + expiry
                : "the access token EXPIRED at " + expiry;
        Optional<String> pending = pending(failures, p.queuedUntil(), oauthLimit, now);
        if (failures.isPresent() && failures.get().invalidClient()) {
            RefreshJournal j = failures.get();
            return new Ready(false, Reason.InvalidClient, "Slack rejected the Slack app's credentials ("
                    + j.error().orElse("?") + "); fix the client id/secret; next try at "
                    + j.retryAt().map(Object::toString).orElse("?") + "; " + validity);
        }
        if (!valid) {
            return new Ready(false, Reason.TokenExpired, "The access token in Secret " + WorkloadSecrets.name(c)
                    + " expired at " + expiry + " (workloads using it get token_expired from Slack) and is not "
                    + "refreshed yet: " + pending.orElse("the refresh is due now") + botNote(p, now));
        }
        if (failures.isPresent()) {
            return new Ready(true, Reason.RefreshRetrying, pending.get() + "; " + validity + botNote(p, now));
        }
        String where = " is in Secret " + WorkloadSecrets.name(c);
        if (!missing.isEmpty()) {
            s.setAuthorizeUrl(authorizeUrl.orElse(null));
            return new Ready(false, Reason.MissingScopes, "Slack did not grant " + String.join(",", missing)
                    + "; the token of " + who(tokens) + where + " lacks them. Open status.authorizeUrl and grant them.");
        }
        boolean refreshed = s.getLastRefreshTime() != null;
        return new Ready(true, refreshed ? Reason.Refreshed : Reason.Authorized,
                (refreshed ? "Refreshed token of " : "Token of ") + who(tokens) + where
                        + tokens.expiresAt().map(t -> "; valid until " + t).orElse("") + botNote(p, now));
    }

    /**
     * The status of a pass that failed: Ready keeps its status while the token will still be valid at the next try,
     * {@code nextTryWithin} away at most (no pass is scheduled for the expiry instant on this path), with reason
     * ReconcileError and what failed.
     */
    static SlackUserConnectionStatus failed(SlackUserConnection c, String message, java.time.Duration nextTryWithin,
            Instant now) {
        SlackUserConnectionStatus s = copy(c.getStatus());
        boolean valid = ReadyCondition.get(s).map(x -> "True".equals(x.getStatus())).orElse(false)
                && s.getExpiresAt() != null
                && !RefreshPolicy.expired(Optional.of(Instant.parse(s.getExpiresAt()).minus(nextTryWithin)), now);
        ReadyCondition.set(s, valid, Reason.ReconcileError, message, c.getMetadata().getGeneration(), now);
        return s;
    }

    /** Whether the plan publishes an authorize link (the reconciler signs one only then). */
    static boolean publishesLink(Plan.Final plan) {
        return plan instanceof Plan.Refused || plan instanceof Plan.AwaitConsent
                || (plan instanceof Plan.Project p && !p.missingScopes().isEmpty());
    }

    /**
     * Why the user pair's refresh has not happened yet: the failed attempts (or an unknown outcome) and the next try,
     * or the operator's own rate limit; empty when nothing holds it back.
     */
    private static Optional<String> pending(Optional<RefreshJournal> failures, Optional<Instant> queuedUntil,
            int oauthLimit, Instant now) {
        if (failures.isPresent()) {
            RefreshJournal j = failures.get();
            String next = j.retryAt().map(Object::toString).orElse("?");
            String error = j.error().orElse("?");
            if (j.inDoubtSince().isPresent()) {
                Instant since = j.inDoubtSince().get();
                return Optional.of(now.isBefore(since.plus(RefreshPolicy.IN_DOUBT_WINDOW))
                        ? "Slack's answer to a refresh was not seen (" + error + ", attempt " + j.failures() + "); "
                                + "Slack may have rotated the pair, so the same refresh token is tried again every "
                                + RefreshPolicy.IN_DOUBT_PACE.toSeconds() + " s and what it returns is checked with "
                                + "auth.test; next try at " + next
                        : "The outcome of a refresh stayed unknown since " + since + " (last answer " + error
                                + ", attempt " + j.failures() + "); still trying the same refresh token, next try at "
                                + next);
            }
            return Optional.of("Refresh attempt " + j.failures() + " failed (" + error + "); retrying at " + next);
        }
        return queuedUntil.map(until -> "The refresh waits for the operator's own limit on oauth.v2.access ("
                + oauthLimit + " calls per minute, shared by all connections); next try in "
                + Math.max(1, java.time.Duration.between(now, until).toSeconds()) + " s");
    }

    private static String botNote(Plan.Project p, Instant now) {
        String dropped = p.tokens().bot().isEmpty() ? p.store().botDead().map(why -> "; " + why).orElse("") : "";
        Optional<Instant> botExpires = TokenPair.BOT.expiresAt(p.tokens());
        String expired = RefreshPolicy.expired(botExpires, now) ? "; the bot token EXPIRED at " + botExpires.get()
                + " and is not refreshed yet" : "";
        return dropped + expired + p.bot().failures().map(j -> "; the bot token's refresh failed " + j.failures()
                + " time(s) (" + j.error().orElse("?") + "), next try at " + j.retryAt().map(Object::toString)
                .orElse("?")).orElse("");
    }

    static String who(StoredTokens tokens) {
        String user = tokens.userId() + tokens.userName().map(n -> " (" + n + ")").orElse("");
        String where = tokens.teamId().map(id -> "workspace " + id + tokens.teamName().map(n -> " (" + n + ")")
                .orElse("")).orElseGet(() -> "organization " + tokens.enterpriseId().orElse("?"));
        return "Slack user " + user + " in " + where;
    }

    private static SlackUserConnectionStatus copy(SlackUserConnectionStatus from) {
        return from == null ? new SlackUserConnectionStatus()
                : Serialization.unmarshal(Serialization.asJson(from), SlackUserConnectionStatus.class);
    }
}
