package io.paguma.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.paguma.cluster.Registry.MembershipChange;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The registry node's wire protocol ({@code docs/PROTOCOL.md}, section "Registry"): message ids,
 * error statuses and the JSON payloads, shared by {@link RegistryServer} and {@link RegistryClient}.
 * Every message travels in the {@code paguma} codec; requests carry a sequence id and get one
 * reply with the same id (or an error status). Decoding is strict about what it needs and ignores
 * fields it does not know, so a newer peer may add some; anything else malformed throws
 * {@link Malformed}.
 */
final class RegistryProtocol {
    /** Request: a member's {@link NodeInfo}. Reply: {@code {"version":n}}. */
    static final int JOIN = 1;
    /** Request: the member's new {@link NodeInfo} (same id). Reply: {@code {"version":n}}. */
    static final int UPDATE = 2;
    /** Request: {@code {"id":"..."}}. Reply: {@code {"version":n}}, also for an id not held. */
    static final int LEAVE = 3;
    /** Request: empty; refreshes every member held by the connection. Reply: {@code {"version":n,"held":[ids]}}. */
    static final int HEARTBEAT = 4;
    /** Request: empty; makes the connection a view. Reply: {@code {"version":n,"memberTtl":ms,"members":[infos]}}. */
    static final int SYNC = 5;
    /** Push to views: {@code {"version":n,"type":"JOINED|UPDATED|LEFT","node":info,"reason":text?}}. */
    static final int CHANGE = 6;
    /** Push before the node closes a connection it refuses (too many views): UTF-8 text. */
    static final int REFUSED = 7;

    /** Request: {@code {"task":task}}. Reply: {@code {"status":status}} (of the known task, for a known key). */
    static final int TASK_PUBLISH = 10;
    /** Request: {@code {"executor":id,"types":[..],"slots":n}}: the connection serves that executor. Reply: {@code {}}. */
    static final int TASK_SERVE = 11;
    /** Request: {@code {"executor":id}}: it serves no more; its unfinished tasks are queued again. Reply: {@code {}}. */
    static final int TASK_UNSERVE = 12;
    /** Push to the connection that serves the executor: {@code {"executor":id,"task":task}}. */
    static final int TASK_ASSIGN = 13;
    /** Request: {@code {"id":..,"executor":..,"state":"RUNNING|DONE|FAILED","detail":text?}}. Reply: {@code {}}. */
    static final int TASK_REPORT = 14;
    /** Request: {@code {"id":..}}: its status, and later changes pushed to this connection. Reply: {@code {"status":status}}, or NO_TASK. */
    static final int TASK_STATUS = 15;
    /** Push to the connection that published the task (or last asked its status): {@code {"status":status}}. */
    static final int TASK_CHANGED = 16;

    /** Error status: a live member has the id. */
    static final int DUPLICATE_ID = 100;
    /** Error status: the node holds {@code registryMaxMembers} members. */
    static final int FULL = 101;
    /** Error status: an update for an id the connection does not hold. */
    static final int NOT_MEMBER = 102;
    /** Error status: the registry node knows no such task (never published, or ended long ago). */
    static final int NO_TASK = 103;

    private static final ObjectMapper JSON = new ObjectMapper();

    private RegistryProtocol() {
    }

    /** A payload that does not follow the protocol. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message);
        }
    }

    static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write registry message: " + e.getMessage(), e);
        }
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    static JsonNode parse(byte[] data) throws Malformed {
        try {
            JsonNode n = JSON.readTree(data);
            if (n == null || !n.isObject()) {
                throw new Malformed("not a JSON object");
            }
            return n;
        } catch (java.io.IOException e) {
            throw new Malformed("not JSON: " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    static ObjectNode info(NodeInfo n) {
        ObjectNode o = object();
        o.put("id", n.id());
        o.put("name", n.name());
        o.put("host", n.host());
        o.put("port", n.port());
        ArrayNode services = o.putArray("services");
        n.services().stream().sorted().forEach(services::add);
        o.put("load", n.load());
        ObjectNode attributes = o.putObject("attributes");
        new TreeMap<>(n.attributes()).forEach(attributes::put);
        return o;
    }

    static NodeInfo info(JsonNode o) throws Malformed {
        if (o == null || !o.isObject()) {
            throw new Malformed("node info is not a JSON object");
        }
        String id = text(o, "id", true);
        String name = text(o, "name", false);
        String host = text(o, "host", true);
        JsonNode port = o.get("port");
        if (port == null || !port.canConvertToInt()) {
            throw new Malformed("node info: port is missing or not an integer");
        }
        Set<String> services = new TreeSet<>();
        JsonNode s = o.get("services");
        if (s != null && !s.isNull()) {
            if (!s.isArray()) {
                throw new Malformed("node info: services is not an array");
            }
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw new Malformed("node info: a service name is not text");
                }
                services.add(e.asText());
            }
        }
        JsonNode load = o.get("load");
        if (load != null && !load.isNull() && !load.canConvertToLong()) {
            throw new Malformed("node info: load is not an integer");
        }
        Map<String, String> attributes = new TreeMap<>();
        JsonNode a = o.get("attributes");
        if (a != null && !a.isNull()) {
            if (!a.isObject()) {
                throw new Malformed("node info: attributes is not an object");
            }
            for (Map.Entry<String, JsonNode> e : a.properties()) {
                if (!e.getValue().isTextual()) {
                    throw new Malformed("node info: attribute " + e.getKey() + " is not text");
                }
                attributes.put(e.getKey(), e.getValue().asText());
            }
        }
        try {
            return new NodeInfo(id, name, host, port.asInt(), services, load == null ? 0 : load.asLong(), attributes);
        } catch (IllegalArgumentException e) {
            throw new Malformed("node info: " + e.getMessage());
        }
    }

    static ObjectNode task(Task t) {
        ObjectNode o = object();
        o.put("id", t.id());
        o.put("type", t.type());
        o.put("key", t.key());
        o.put("publisher", t.publisher());
        o.put("timeoutMs", t.timeout().toMillis());
        ArrayNode files = o.putArray("files");
        t.files().forEach(files::add);
        o.put("payload", t.payload());
        return o;
    }

    static Task task(JsonNode o) throws Malformed {
        if (o == null || !o.isObject()) throw new Malformed("task is not a JSON object");
        try {
            List<String> files = new ArrayList<>();
            JsonNode f = o.get("files");
            if (f != null && f.isArray()) {
                for (JsonNode n : f) {
                    if (!n.isTextual()) throw new Malformed("task: a file name is not text");
                    files.add(n.asText());
                }
            }
            JsonNode timeout = o.get("timeoutMs");
            JsonNode payload = o.get("payload");
            return new Task(text(o, "id", true), text(o, "type", true), payload == null || payload.isNull() ? new byte[0] : payload.binaryValue(),
                    files, text(o, "key", true), java.time.Duration.ofMillis(timeout == null ? 300_000 : timeout.asLong()), text(o, "publisher", true));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new Malformed("task: " + e.getMessage());
        }
    }

    static ObjectNode status(TaskStatus s) {
        ObjectNode o = object();
        o.put("id", s.id());
        o.put("type", s.type());
        o.put("key", s.key());
        o.put("publisher", s.publisher());
        o.put("state", s.state().name());
        if (s.executor() != null) o.put("executor", s.executor());
        o.put("attempts", s.attempts());
        if (s.detail() != null) o.put("detail", s.detail());
        o.put("version", s.version());
        return o;
    }

    static TaskStatus status(JsonNode o) throws Malformed {
        if (o == null || !o.isObject()) throw new Malformed("task status is not a JSON object");
        try {
            JsonNode attempts = o.get("attempts");
            return new TaskStatus(text(o, "id", true), text(o, "type", true), text(o, "key", false), text(o, "publisher", false),
                    TaskState.valueOf(text(o, "state", true)), text(o, "executor", false), attempts == null ? 0 : attempts.asInt(),
                    text(o, "detail", false), o.path("version").asLong(0));
        } catch (IllegalArgumentException e) {
            throw new Malformed("task status: " + e.getMessage());
        }
    }

    static String text(JsonNode o, String field, boolean required) throws Malformed {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new Malformed(field + " is missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new Malformed(field + " is not text");
        }
        return v.asText();
    }

    static long version(JsonNode o) throws Malformed {
        JsonNode v = o.get("version");
        if (v == null || !v.canConvertToLong()) {
            throw new Malformed("version is missing or not an integer");
        }
        return v.asLong();
    }

    static byte[] versionOnly(long version) {
        ObjectNode o = object();
        o.put("version", version);
        return bytes(o);
    }

    static byte[] change(long version, MembershipChange c) {
        ObjectNode o = object();
        o.put("version", version);
        o.put("type", c.type().name());
        o.set("node", info(c.node()));
        if (c.reason() != null) {
            o.put("reason", c.reason());
        }
        return bytes(o);
    }

    static MembershipChange change(JsonNode o) throws Malformed {
        String type = text(o, "type", true);
        MembershipChange.Type t;
        try {
            t = MembershipChange.Type.valueOf(type);
        } catch (IllegalArgumentException e) {
            throw new Malformed("unknown change type " + type);
        }
        return new MembershipChange(t, info(o.get("node")), text(o, "reason", false));
    }

    static byte[] snapshot(long version, long memberTtlMillis, Iterable<NodeInfo> members) {
        ObjectNode o = object();
        o.put("version", version);
        o.put("memberTtl", memberTtlMillis);
        ArrayNode a = o.putArray("members");
        for (NodeInfo n : members) {
            a.add(info(n));
        }
        return bytes(o);
    }

    /** The members of a snapshot, by id, in the order sent. */
    static Map<String, NodeInfo> members(JsonNode o) throws Malformed {
        JsonNode a = o.get("members");
        if (a == null || !a.isArray()) {
            throw new Malformed("members is missing or not an array");
        }
        Map<String, NodeInfo> m = new LinkedHashMap<>();
        for (JsonNode n : a) {
            NodeInfo info = info(n);
            m.put(info.id(), info);
        }
        return m;
    }

    /** The node's memberTtl in a snapshot, or 0 when it sent none. */
    static long memberTtlMillis(JsonNode o) throws Malformed {
        JsonNode v = o.get("memberTtl");
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.canConvertToLong() || v.asLong() <= 0) {
            throw new Malformed("memberTtl is not a positive integer");
        }
        return v.asLong();
    }

    static byte[] held(long version, Iterable<String> ids) {
        ObjectNode o = object();
        o.put("version", version);
        ArrayNode a = o.putArray("held");
        ids.forEach(a::add);
        return bytes(o);
    }

    static List<String> held(JsonNode o) throws Malformed {
        JsonNode a = o.get("held");
        if (a == null || !a.isArray()) {
            throw new Malformed("held is missing or not an array");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode e : a) {
            ids.add(e.asText());
        }
        return ids;
    }

    static byte[] leave(String id) {
        ObjectNode o = object();
        o.put("id", id);
        return bytes(o);
    }

    static String utf8(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }
}
