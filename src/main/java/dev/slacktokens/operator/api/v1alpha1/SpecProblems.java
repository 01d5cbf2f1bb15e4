package dev.slacktokens.operator.api.v1alpha1;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The same rules the CRD schema and its CEL rules enforce at apply time, checked again by the operator: an API
 * server without validation (or an object stored before a rule existed) still gets a clear InvalidSpec.
 */
public final class SpecProblems {

    public static final Duration MIN_REFRESH_BEFORE = Duration.ofMinutes(1);
    public static final Duration MAX_REFRESH_BEFORE = Duration.ofHours(11);
    private static final Set<String> LOCAL_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private SpecProblems() {
    }

    /** Human-readable problems, empty when the spec is usable. */
    public static List<String> of(SlackUserConnectionSpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null) {
            problems.add("spec is missing");
            return problems;
        }
        if (spec.getUserScopes() == null || spec.getUserScopes().isEmpty()) {
            problems.add("spec.userScopes needs at least one Slack user scope");
        } else {
            scopes("spec.userScopes", spec.getUserScopes(), problems);
        }
        if (spec.getBotScopes() != null) {
            scopes("spec.botScopes", spec.getBotScopes(), problems);
        }
        if (spec.getRedirectUri() != null && !redirectAllowed(spec.getRedirectUri())) {
            problems.add("spec.redirectUri must be an https URL (plain http only for localhost): "
                    + spec.getRedirectUri());
        }
        if (spec.getRefreshBefore() != null) {
            try {
                Duration d = GoDuration.parse(spec.getRefreshBefore());
                if (d.compareTo(MIN_REFRESH_BEFORE) < 0 || d.compareTo(MAX_REFRESH_BEFORE) > 0) {
                    problems.add("spec.refreshBefore must be between 1m and 11h, not " + spec.getRefreshBefore());
                }
            } catch (IllegalArgumentException e) {
                problems.add("spec.refreshBefore: " + e.getMessage());
            }
        }
        check(spec.getTeam(), Patterns.TEAM_ID, "spec.team must be a workspace (T...) or organization (E...) id",
                problems);
        check(spec.getUser(), Patterns.USER_ID, "spec.user must be a Slack user id (U... or W...)", problems);
        check(spec.getSecretName(), Patterns.DNS_SUBDOMAIN, "spec.secretName must be a valid Secret name", problems);
        if (spec.getSlackApp() != null) {
            var app = spec.getSlackApp();
            check(app.getClientId() == null ? "" : app.getClientId(), Patterns.CLIENT_ID,
                    "spec.slackApp.clientId must look like 1234567890.0987654321", problems);
            if (app.getClientSecretRef() == null || app.getClientSecretRef().getName() == null
                    || app.getClientSecretRef().getKey() == null) {
                problems.add("spec.slackApp.clientSecretRef needs a name and a key");
            }
        }
        if (spec.getImportFrom() != null && (spec.getImportFrom().getSecretRef() == null
                || spec.getImportFrom().getSecretRef().getName() == null
                || spec.getImportFrom().getSecretRef().getKey() == null)) {
            problems.add("spec.importFrom.secretRef needs a name and a key");
        }
        return problems;
    }

    public static boolean redirectAllowed(String redirectUri) {
        try {
            URI uri = URI.create(redirectUri);
            if (uri.getHost() == null) {
                return false;
            }
            return "https".equals(uri.getScheme())
                    || ("http".equals(uri.getScheme()) && LOCAL_HOSTS.contains(uri.getHost()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void scopes(String field, List<String> scopes, List<String> problems) {
        for (String s : scopes) {
            if (s == null || !s.matches(Patterns.SCOPE)) {
                problems.add(field + " has an invalid scope '" + s + "'");
            }
        }
    }

    private static void check(String value, String pattern, String message, List<String> problems) {
        if (value != null && !value.matches(pattern)) {
            problems.add(message + ", not '" + value + "'");
        }
    }
}
