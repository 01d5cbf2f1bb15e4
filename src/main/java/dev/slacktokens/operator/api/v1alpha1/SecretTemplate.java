package dev.slacktokens.operator.api.v1alpha1;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Metadata added to the workload Secret. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SecretTemplate {

    @JsonPropertyDescription("Labels added to the workload Secret. The operator's own labels take precedence.")
    private Map<String, String> labels;

    @JsonPropertyDescription("Annotations added to the workload Secret.")
    private Map<String, String> annotations;

    public Map<String, String> getLabels() {
        return labels;
    }

    public void setLabels(Map<String, String> labels) {
        this.labels = labels;
    }

    public Map<String, String> getAnnotations() {
        return annotations;
    }

    public void setAnnotations(Map<String, String> annotations) {
        this.annotations = annotations;
    }
}
