package patchsites.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import patchsites.collector.cli.CliPolishTest.Run;
import patchsites.collector.corpus.Corpus;
import patchsites.fixtures.Tools;

/**
 * The --json output is an interface (docs/json.md): real output of scan, audit and plan, on
 * gcc-built objects, an archive, a linked program and Debian modules from the corpus, validates
 * against docs/json.schema.json with an independent JSON Schema validator (networknt, draft
 * 2020-12); every record type of the schema occurs; docs/json.md names every field; and the JSON
 * agrees with the text output where both say the same thing.
 */
class JsonSchemaTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static JsonSchema schema;
    private static JsonNode schemaTree;

    @TempDir
    Path dir;

    private final List<JsonNode> records = new ArrayList<>();

    @BeforeAll
    static void loadSchema() throws IOException {
        Path file = CliDocsTest.repositoryRoot().resolve("docs/json.schema.json");
        schemaTree = MAPPER.readTree(Files.readString(file));
        schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaTree);
    }

    /** Runs a --json command, checks every line against the schema and keeps the records. */
    private Run json(int expectedRc, String... args) throws IOException {
        Run r = CliPolishTest.run(args);
        assertEquals(expectedRc, r.rc(), r::describe);
        assertTrue(!r.out().isEmpty(), r::describe);
        JsonNode last = null;
        for (String line : r.out().split("\n")) {
            JsonNode node = MAPPER.readTree(line);
            Set<ValidationMessage> errors = schema.validate(node);
            assertTrue(errors.isEmpty(), () -> errors + "\n" + line);
            assertEquals("type", node.fieldNames().next(), line);
            records.add(node);
            last = node;
        }
        assertEquals("summary", last.get("type").asText(), "the last record is the summary: " + last);
        assertEquals(command(args), last.get("command").asText(), last::toString);
        return r;
    }

    /** The command of a CLI argument list (after global options). */
    private static String command(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a;
            }
        }
        throw new AssertionError("no command");
    }

    private Path compile(String name, String source) {
        return Tools.compileC(Tools.write(dir, name + ".c", source), name + ".o", "-O2", "-fno-pic");
    }

    @Test
    void realOutputOfEveryCommandMatchesTheSchema() throws IOException {
        // Calls, a tail call, a reference from code and one from data (no enclosing function).
        Path obj = compile("kinds", String.join("\n",
                "extern long ext(long), ext2(long);",
                "long a(long x) { return ext(x) + 1; }",
                "long t(long x) { return ext(x + 2); }",
                "long (*get(void))(long) { return ext; }",
                "long (*table[])(long) = { ext, ext2 };",
                "long c(long x) { return ext2(x) * 3; }", ""));
        Tools.ok(dir, "ar", "rc", "lib.a", obj.getFileName().toString());
        json(0, "scan", "--target=ext*", "--include-refs", "--json", obj.toString(), dir.resolve("lib.a").toString());
        Run text = CliPolishTest.run("scan", "--target=ext*", "--include-refs", obj.toString());
        List<JsonNode> sites = records.stream().filter(n -> n.get("type").asText().equals("site")
                && !n.has("member")).toList();
        List<String> rows = text.out().lines().skip(1).filter(l -> l.startsWith(obj.toString())).toList();
        assertEquals(rows.size(), sites.size(), text::describe);
        for (int i = 0; i < rows.size(); i++) {
            String[] cols = rows.get(i).trim().split("\\s+");
            JsonNode s = sites.get(i);
            assertEquals(cols[4].equals("-"), s.get("length").isNull(), rows.get(i) + " vs " + s);
            assertEquals(cols[6].equals("-"), s.get("function").isNull(), rows.get(i) + " vs " + s);
            assertEquals(s.get("function").isNull(), s.get("function_offset").isNull(), s.toString());
        }
        assertTrue(sites.stream().anyMatch(s -> s.get("function").isNull()), "a ref outside a function: " + sites);

        // audit: a table with every site, then one whose targets reach a site it lacks (a missing record).
        assertEquals(0, CliPolishTest.run("emit", "--target=ext", "--section=.ext_sites", "--layout=site", "--in-place",
                obj.toString()).rc());
        json(0, "audit", "--json", "--section=.ext_sites", "--layout=site", obj.toString());
        json(1, "audit", "--json", "--target=ext*", "--section=.ext_sites", "--layout=site", obj.toString());

        // Calls found by decoding (a static function called from its own section: no relocation),
        // and calls and jumps through function pointers (--pointer) beside direct ones.
        Path local = compile("local", String.join("\n",
                "__attribute__((noinline)) static long filt(long x) { return x * 7; }",
                "long use(long x) { return filt(x + 3) * 2; }", ""));
        json(0, "scan", "--json", "--target=filt", local.toString());
        assertTrue(records.stream().anyMatch(n -> "decoded".equals(n.path("via").asText())), "a decoded site");
        Path ptrs = Tools.compileC(Tools.resource("fixtures/x86_pointers.c", dir), "p.o", "-O2", "-fno-pic",
                "-mcmodel=kernel");
        json(0, "scan", "--json", "--pointer=*_ops", "--target=def_*", ptrs.toString());
        assertTrue(records.stream().anyMatch(n -> "icall".equals(n.path("kind").asText()) && !n.get("default").isNull()),
                "a pointer site with its default");

        // Loaded pointers (iload, through retpoline thunks), the loads the scan gives up on, and the census.
        Path loaded = Tools.compileC(Tools.resource("fixtures/x86_loaded_pointers.c", dir), "l.o", "-fno-pic",
                "-mcmodel=kernel", "-mindirect-branch=thunk-extern", "-mfunction-return=thunk-extern");
        json(0, "scan", "--json", "--pointer=*_ops", loaded.toString());
        assertTrue(records.stream().anyMatch(n -> n.path("kind").asText().startsWith("iload")
                && n.get("retpoline").asBoolean() && n.get("load_offset").isIntegralNumber()), "a loaded site");
        json(0, "pointers", "--json", "--pointer=*_ops", loaded.toString(), ptrs.toString());

        // A linked program: audit (missing and extra found by decoding), plan and plan --apply; the
        // same program stripped: no symbols to decode by, missing and extra not checked (null).
        Path prog = CliMessagesTest.linkedProgram(dir, List.of("gcc"), "prog");
        json(0, "audit", "--json", "--section=.ext_sites", "--layout=site", prog.toString());
        Path stripped = dir.resolve("prog.stripped");
        Tools.ok(dir, "strip", "-o", stripped.toString(), prog.toString());
        json(0, "audit", "--json", "--section=.ext_sites", "--layout=site", stripped.toString());
        assertTrue(records.stream().anyMatch(n -> "table".equals(n.get("type").asText()) && n.get("linked").asBoolean()
                && "none".equals(n.get("method").asText()) && n.get("missing").isNull()), "a table not checked");
        json(0, "plan", "--json", "--section=.ext_sites", "--layout=site", "--key=ext", "--to=other", prog.toString());
        json(0, "plan", "--json", "--section=.ext_sites", "--layout=site", "--key=ext", "--to=other",
                "--apply=" + dir.resolve("patched"), prog.toString());

        // Debian modules: their own tables, as the kernel build wrote them.
        Path modules = Corpus.root().resolve("modules/kernel");
        List<String> kos = new ArrayList<>();
        for (String ko : List.of("arch/x86/kvm/kvm.ko", "fs/ext4/ext4.ko", "net/netfilter/nf_tables.ko",
                "drivers/net/ethernet/intel/e1000e/e1000e.ko")) {
            kos.add(modules.resolve(ko).toString());
        }
        List<String> args = new ArrayList<>(List.of("scan", "--json", "--include-refs", "--target=__SCT__*",
                "--target=__fentry__", "--target=__x86_indirect_thunk_*", "--target=__x86_return_thunk",
                "--pointer=pv_ops"));
        args.addAll(kos);
        json(0, args.toArray(String[]::new));
        for (String[] table : List.of(new String[] {".static_call_sites", "site-key"}, new String[] {"__mcount_loc", "abs"},
                new String[] {".retpoline_sites", "site"})) {
            List<String> audit = new ArrayList<>(List.of("audit", "--json", "--x86-policy=linux",
                    "--section=" + table[0], "--layout=" + table[1]));
            audit.add(kos.get(0));
            audit.add(kos.get(1));
            json(0, audit.toArray(String[]::new));
        }
        // audit --kernel: every entry (-v), the per-table totals, and a file that cannot be read.
        Path gone = dir.resolve("gone.ko");
        json(2, "-v", "audit", "--kernel", "--json", kos.get(2), kos.get(3), gone.toString());
        JsonNode kernel = records.get(records.size() - 1);
        assertTrue(kernel.get("kernel").asBoolean() && kernel.get("files").asInt() == 3
                && kernel.get("bad_input").asInt() == 1 && kernel.get("objects").asInt() == 2, kernel::toString);

        // Every record type of the schema occurred; every summary names its schema and command.
        Set<String> seen = new TreeSet<>(), declared = new TreeSet<>();
        for (JsonNode n : records) {
            String type = n.get("type").asText();
            seen.add(type.equals("summary") ? "summary/" + n.get("command").asText() : type);
        }
        for (JsonNode ref : schemaTree.get("oneOf")) {
            JsonNode def = schemaTree.at(ref.get("$ref").asText().substring(1));
            String type = def.at("/properties/type/const").asText();
            declared.add(type.equals("summary") ? "summary/" + def.at("/properties/command/const").asText() : type);
        }
        assertEquals(declared, seen);
        assertTrue(records.stream().anyMatch(n -> "missing".equals(n.get("type").asText())), "a missing record");
    }

    /**
     * The schema can fail: the shapes before schema 1 (no type, length 0 for a ref, a function
     * offset without a function, a prose policy) and records that break its rules are rejected.
     */
    @Test
    void theOldShapesAreRejected() throws IOException {
        String site = "{\"type\":\"site\",\"file\":\"k.o\",\"arch\":\"x86_64\",\"section\":\".text\",\"offset\":4,"
                + "\"length\":5,\"kind\":\"call\",\"target\":\"ext\",\"pointer\":null,\"default\":null,\"function\":\"a\","
                + "\"function_offset\":4,\"via\":\"relocation\",\"load_offset\":null,\"retpoline\":null}";
        assertTrue(schema.validate(MAPPER.readTree(site)).isEmpty(), "the good one is accepted");
        String ref = site.replace("\".text\"", "\".data\"").replace("\"kind\":\"call\"", "\"kind\":\"ref\"")
                .replace("\"length\":5", "\"length\":null").replace("\"function\":\"a\"", "\"function\":null")
                .replace("\"function_offset\":4", "\"function_offset\":null");
        assertTrue(schema.validate(MAPPER.readTree(ref)).isEmpty(), "a ref outside a function is accepted");
        String table = "{\"type\":\"table\",\"file\":\"prog\",\"table\":\".t\",\"arch\":\"x86_64\",\"policy\":\"x86-aligned\","
                + "\"policy_text\":\"x\",\"linked\":true,\"method\":\"decoding\",\"entries\":0,\"verdicts\":{},"
                + "\"placement_dependent\":0,\"invalid\":0,\"missing\":0,\"extra\":0,\"duplicates\":0,\"consistent\":true}";
        assertTrue(schema.validate(MAPPER.readTree(table)).isEmpty(), "the good one is accepted");
        for (String old : List.of(
                // before schema 1: no type, length 0 for a ref, function_offset 0 beside no function
                "{\"file\":\"k.o\",\"arch\":\"x86_64\",\"section\":\".data\",\"offset\":0,\"length\":0,\"kind\":\"ref\","
                        + "\"target\":\"ext\",\"function\":null,\"function_offset\":0,\"via\":\"relocation\"}",
                ref.replace("\"length\":null", "\"length\":0"),
                ref.replace("\"function_offset\":null", "\"function_offset\":0"),
                site.replace("\"offset\":4", "\"offset\":-4"),
                // a direct site has no pointer slot; a pointer site no target; fields are never left out
                site.replace("\"pointer\":null", "\"pointer\":\"pv_ops+0x8\""),
                site.replace("\"kind\":\"call\"", "\"kind\":\"icall\""),
                site.replace(",\"via\":\"relocation\"", ""),
                site.replace("\"load_offset\":null", "\"load_offset\":4"),
                // audit: a prose policy, and 0 missing where nothing was checked
                table.replace("\"x86-aligned\"", "\"x86 policy aligned: one store when the rel32 field is 4-byte aligned\""),
                table.replace("\"decoding\"", "\"none\""),
                "{\"type\":\"summary\",\"schema\":1,\"command\":\"plan\",\"file\":\"prog\",\"arch\":\"x86_64\","
                        + "\"policy\":\"x86 policy aligned: one store when the rel32 field is 4-byte aligned\",\"policy_text\":\"\","
                        + "\"key\":\"ext\",\"key_address\":1,\"to\":\"o\",\"new_target\":2,\"sites\":0,\"verdicts\":{},"
                        + "\"sync_rounds\":0,\"sync_rounds_batched\":0,\"stop_machine_rounds\":0,\"feasible\":true,\"applied\":null}")) {
            assertTrue(!schema.validate(MAPPER.readTree(old)).isEmpty(), old);
        }
    }

    /** docs/json.md describes every record type and every field the schema has. */
    @Test
    void jsonMdNamesEveryRecordAndField() throws IOException {
        String md = Files.readString(CliDocsTest.repositoryRoot().resolve("docs/json.md"));
        for (JsonNode ref : schemaTree.get("oneOf")) {
            JsonNode def = schemaTree.at(ref.get("$ref").asText().substring(1));
            String type = def.at("/properties/type/const").asText();
            assertTrue(md.contains("\"type\":\"" + type + "\""), () -> "docs/json.md has no example of " + type);
            for (Iterator<String> f = def.get("properties").fieldNames(); f.hasNext(); ) {
                String field = f.next();
                assertTrue(md.contains("`" + field + "`"), () -> "docs/json.md does not describe " + type + "." + field);
            }
        }
    }
}
