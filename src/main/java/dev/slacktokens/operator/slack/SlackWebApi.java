package dev.slacktokens.operator.slack;

import java.time.Duration;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import io.quarkus.rest.client.reactive.ClientExceptionMapper;

/**
 * The Slack Web API methods the operator calls, as a Quarkus REST Client. Requests are form-encoded POSTs; Slack
 * answers HTTP 200 (with {@code ok}) or 429. Build it with {@link SlackClient#create}, which supplies the base URL.
 */
@Path("/api")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_FORM_URLENCODED)
interface SlackWebApi {

    @POST
    @Path("/oauth.v2.access")
    SlackWireModel.OAuthAccessJson oauthV2Access(@HeaderParam("Authorization") String authorization,
            MultivaluedMap<String, String> form);

    @POST
    @Path("/oauth.v2.exchange")
    SlackWireModel.OAuthAccessJson oauthV2Exchange(MultivaluedMap<String, String> form);

    @POST
    @Path("/auth.test")
    SlackWireModel.AuthTestJson authTest(@HeaderParam("Authorization") String authorization,
            MultivaluedMap<String, String> form);

    @POST
    @Path("/auth.revoke")
    SlackWireModel.AuthRevokeJson authRevoke(@HeaderParam("Authorization") String authorization,
            MultivaluedMap<String, String> form);

    /** Non-2xx answers: 429 with Retry-After, or a gateway/server error before Slack's API layer. */
    @ClientExceptionMapper
    static RuntimeException toException(Response response) {
        return new HttpStatusException(response.getStatus(), retryAfter(response.getHeaderString("Retry-After")));
    }

    private static Duration retryAfter(String header) {
        if (header != null) {
            try {
                return Duration.ofSeconds(Math.max(0, Long.parseLong(header.trim())));
            } catch (NumberFormatException ignored) {
                // An HTTP-date or garbage: fall back to the default below.
            }
        }
        return HttpStatusException.DEFAULT_RETRY_AFTER;
    }

    /** Carries a non-2xx status from the REST client to {@link SlackClient}, which types it. */
    final class HttpStatusException extends RuntimeException {
        static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(5);

        final int status;
        final Duration retryAfter;

        HttpStatusException(int status, Duration retryAfter) {
            super("HTTP " + status, null, false, false);
            this.status = status;
            this.retryAfter = retryAfter;
        }
    }
}
