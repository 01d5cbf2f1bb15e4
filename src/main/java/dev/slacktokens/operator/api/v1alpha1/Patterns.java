package dev.slacktokens.operator.api.v1alpha1;

/** Regular expressions shared by the schema annotations and the operator's own spec validation. */
public final class Patterns {

    /** A Slack scope such as {@code chat:write}, {@code users:read.email} or {@code identify}. */
    public static final String SCOPE = "^[a-z][a-z0-9._-]*(:[a-z0-9._-]+)*$";
    /** A workspace ({@code T…}) or Enterprise Grid organization ({@code E…}) id. */
    public static final String TEAM_ID = "^[TE][A-Z0-9]{2,30}$";
    /** A Slack user id ({@code U…}, or {@code W…} for Enterprise Grid users). */
    public static final String USER_ID = "^[UW][A-Z0-9]{2,30}$";
    /** A Slack app client id: two dot-separated numbers. */
    public static final String CLIENT_ID = "^[0-9]+\\.[0-9]+$";
    /** A Kubernetes object name (DNS-1123 subdomain). */
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** A Secret data key. */
    public static final String SECRET_KEY = "^[-._a-zA-Z0-9]+$";
    /** A Go-style duration such as {@code 2h}, {@code 90m} or {@code 1h30m}. */
    public static final String DURATION = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

    private Patterns() {
    }
}
