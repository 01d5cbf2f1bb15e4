package dev.slacktokens.operator.api;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;

/**
 * A structural check of an object against a CRD's OpenAPI schema (types, required, enum, pattern, lengths, item
 * counts, unknown fields), as the API server does before CEL rules. CEL rules ({@code x-kubernetes-validations})
 * are left to the real API server in the end-to-end suite.
 */
final class SchemaCheck {

    private SchemaCheck() {
    }

    static List<String> check(JSONSchemaProps schema, JsonNode value) {
        List<String> errors = new ArrayList<>();
        check("", schema, value, errors);
        return errors;
    }

    private static void check(String path, JSONSchemaProps schema, JsonNode value, List<String> errors) {
        String type = schema.getType();
        if (type != null) {
            boolean ok = switch (type) {
                case "object" -> value.isObject();
                case "array" -> value.isArray();
                case "string" -> value.isTextual();
                case "integer" -> value.isIntegralNumber();
                case "number" -> value.isNumber();
                case "boolean" -> value.isBoolean();
                default -> true;
            };
            if (!ok) {
                errors.add(path + ": must be " + type);
                return;
            }
        }
        if (schema.getEnum() != null && !schema.getEnum().isEmpty()
                && schema.getEnum().stream().noneMatch(e -> e.asText().equals(value.asText()))) {
            errors.add(path + ": must be one of " + schema.getEnum().stream().map(JsonNode::asText).toList());
        }
        if (value.isTextual()) {
            String s = value.asText();
            if (schema.getPattern() != null && !Pattern.compile(schema.getPattern()).matcher(s).find()) {
                errors.add(path + ": must match " + schema.getPattern());
            }
            if (schema.getMinLength() != null && s.length() < schema.getMinLength()) {
                errors.add(path + ": shorter than " + schema.getMinLength());
            }
            if (schema.getMaxLength() != null && s.length() > schema.getMaxLength()) {
                errors.add(path + ": longer than " + schema.getMaxLength());
            }
        }
        if (value.isArray()) {
            if (schema.getMinItems() != null && value.size() < schema.getMinItems()) {
                errors.add(path + ": fewer than " + schema.getMinItems() + " items");
            }
            if (schema.getMaxItems() != null && value.size() > schema.getMaxItems()) {
                errors.add(path + ": more than " + schema.getMaxItems() + " items");
            }
            if (schema.getItems() != null && schema.getItems().getSchema() != null) {
                for (int i = 0; i < value.size(); i++) {
                    check(path + "[" + i + "]", schema.getItems().getSchema(), value.get(i), errors);
                }
            }
        }
        if (value.isObject()) {
            if (schema.getRequired() != null) {
                for (String required : schema.getRequired()) {
                    if (!value.has(required)) {
                        errors.add(path + "." + required + ": required");
                    }
                }
            }
            Map<String, JSONSchemaProps> properties = schema.getProperties();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> field = it.next();
                String child = path + "." + field.getKey();
                if (properties != null && properties.containsKey(field.getKey())) {
                    check(child, properties.get(field.getKey()), field.getValue(), errors);
                } else if (schema.getAdditionalProperties() != null
                        && schema.getAdditionalProperties().getSchema() != null) {
                    check(child, schema.getAdditionalProperties().getSchema(), field.getValue(), errors);
                } else if (properties != null && !Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())) {
                    errors.add(child + ": unknown field");
                }
            }
        }
    }
}
