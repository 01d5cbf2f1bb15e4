package dev.slacktokens.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** An existing long-lived user token to convert into a rotating one. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ImportFrom {

    @Required
    @JsonPropertyDescription("The Secret key holding the long-lived xoxp- token, in this namespace. The operator "
            + "reads it once, exchanges it with oauth.v2.exchange and never writes it back.")
    private SecretKeyRef secretRef;

    public SecretKeyRef getSecretRef() {
        return secretRef;
    }

    public void setSecretRef(SecretKeyRef secretRef) {
        this.secretRef = secretRef;
    }
}
