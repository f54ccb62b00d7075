package patchsites.collector.cli;

import java.util.List;
import java.util.Map;

/**
 * Writing JSON: one flat object per line, each with a {@code "type"} first. The records
 * themselves, one writer each, are {@link JsonRecords}; docs/json.md describes them and
 * docs/json.schema.json is their schema (JsonSchemaTest validates real output against it).
 */
final class Json {
    /** The version of the records' shape: raised when a field changes meaning or goes away. */
    static final int SCHEMA = 1;

    private Json() {}

    /** One record, written field by field: {@code new Json.Record("site").str("file", f)...}. */
    static final class Record {
        private final StringBuilder sb = new StringBuilder(256);

        Record(String type) {
            sb.append("{\"type\":");
            string(sb, type);
        }

        private Record key(String k) {
            sb.append(',');
            string(sb, k);
            sb.append(':');
            return this;
        }

        Record str(String k, String v) {
            key(k);
            string(sb, v);
            return this;
        }

        /** A string field left out when null ({@code member}: only archive members have one). */
        Record optional(String k, String v) {
            return v == null ? this : str(k, v);
        }

        /** A number, or null where there is none (the text output's {@code -}). */
        Record num(String k, Number v) {
            key(k).sb.append(v);
            return this;
        }

        /** An unsigned 64-bit value (an address, an offset): never printed as negative; or null where there is none. */
        Record unsigned(String k, Long v) {
            key(k).sb.append(v == null ? "null" : Long.toUnsignedString(v));
            return this;
        }

        /** A boolean, or null where the question does not apply. */
        Record bool(String k, Boolean v) {
            key(k).sb.append(v);
            return this;
        }

        Record strings(String k, List<String> v) {
            key(k).sb.append('[');
            for (int i = 0; i < v.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                string(sb, v.get(i));
            }
            sb.append(']');
            return this;
        }

        /** An object of counts, such as {"call":3,"tail":1}. */
        Record counts(String k, Map<String, ? extends Number> v) {
            key(k).sb.append('{');
            boolean first = true;
            for (Map.Entry<String, ? extends Number> e : v.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                string(sb, e.getKey());
                sb.append(':').append(e.getValue());
            }
            sb.append('}');
            return this;
        }

        /** The last record's schema version and command (docs/json.md). */
        Record schema(String command) {
            return num("schema", SCHEMA).str("command", command);
        }

        @Override
        public String toString() {
            return sb + "}";
        }
    }

    static void string(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
