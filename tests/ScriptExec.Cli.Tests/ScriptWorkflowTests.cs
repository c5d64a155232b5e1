using System.Text.Json.Nodes;
using ScriptExec.Cli.Tests.Support;

namespace ScriptExec.Cli.Tests;

/// <summary>The everyday path: script set, instance set, start, then executions, logs and scripts show the run.</summary>
[TestFixture("unix")]
[TestFixture("websocket")]
public sealed class ScriptWorkflowTests : CliFixture
{
    private const string Greeter = """
        echo "$GREETING $1"
        echo "careful" >&2
        echo "bye"
        """;

    public ScriptWorkflowTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task Start_wait_then_executions_table_lists_the_finished_run()
    {
        var (script, instance) = await CreateAsync(Greeter, "--args", "world", "--env", "GREETING=hello");
        var (id, exitCode) = await RunToEndAsync(script, instance);
        Assert.That(exitCode, Is.Zero);

        var table = (await ExpectSuccessAsync("executions", "--script", script)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(table, Has.Length.EqualTo(2), string.Join('\n', table));
        Assert.That(table[0].Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Is.EqualTo(new[] { "ID", "SCRIPT", "INSTANCE", "STATE", "EXIT", "DURATION", "STARTED", "TRIGGER", "STOPPED", "BY" }));
        var row = table[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(row[..5], Is.EqualTo(new[] { id.ToString(System.Globalization.CultureInfo.InvariantCulture), script, instance, "finished", "0" }));
        Assert.That(row[^3], Does.StartWith("manual"), "the trigger column shows the manual start and its user");
        Assert.That(row[^1], Is.EqualTo("-"), "a run that ended by itself has no stop trigger");
    }

    [Test]
    public async Task Executions_json_prints_the_raw_result()
    {
        var (script, instance) = await CreateAsync(Greeter, "--args", "world", "--env", "GREETING=hello");
        var (id, _) = await RunToEndAsync(script, instance);

        var json = JsonNode.Parse((await ExpectSuccessAsync("executions", "--script", script, "--instance", instance, "--json")).Stdout)!;
        var execution = json["executions"]!.AsArray().Single()!;
        Assert.Multiple(() =>
        {
            Assert.That(execution["id"]!.GetValue<long>(), Is.EqualTo(id));
            Assert.That(execution["state"]!.GetValue<string>(), Is.EqualTo("finished"));
            Assert.That(execution["exit_code"]!.GetValue<int>(), Is.Zero);
            Assert.That(execution["arguments"]!.GetValue<string>(), Is.EqualTo("world"));
            Assert.That(execution["start_trigger"]!["type"]!.GetValue<string>(), Is.EqualTo("manual"));
        });
    }

    [Test]
    public async Task Logs_prints_stdout_lines_to_stdout_and_stderr_lines_to_stderr()
    {
        var (script, instance) = await CreateAsync(Greeter, "--args", "world", "--env", "GREETING=hello");
        var id = (await ExpectSuccessAsync("start", script, instance, "--wait")).Stdout.Trim();

        var logs = await ExpectSuccessAsync("logs", id);
        Assert.That(logs.Stdout, Is.EqualTo("hello world\nbye\n"));
        Assert.That(logs.Stderr, Is.EqualTo("careful\n"));

        var onlyStderr = await ExpectSuccessAsync("logs", id, "--stderr");
        Assert.That((onlyStderr.Stdout, onlyStderr.Stderr), Is.EqualTo((string.Empty, "careful\n")));

        // stdout and stderr are separate pipes: their relative order is the script's race, not ours to assert.
        var json = (await ExpectSuccessAsync("logs", id, "--json")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.That(json.Select(l => l["id"]!.GetValue<long>()), Is.EqualTo(new[] { 1L, 2L, 3L }));
        Assert.That(json.Where(l => l["stream"]!.GetValue<string>() == "stdout").Select(l => l["content"]!.GetValue<string>()), Is.EqualTo(new[] { "hello world", "bye" }));
        Assert.That(json.Where(l => l["stream"]!.GetValue<string>() == "stderr").Select(l => l["content"]!.GetValue<string>()), Is.EqualTo(new[] { "careful" }));
    }

    [Test]
    public async Task Start_args_override_the_instance_arguments_for_one_run()
    {
        var (script, instance) = await CreateAsync(Greeter, "--args", "world", "--env", "GREETING=hi");
        var id = (await ExpectSuccessAsync("start", script, instance, "--args", "'big world'", "--wait")).Stdout.Trim();
        Assert.That((await ExpectSuccessAsync("logs", id, "--stdout")).Stdout, Does.StartWith("hi big world\n"));
    }

    [Test]
    public async Task Script_get_prints_the_source_exactly_as_set_from_stdin()
    {
        var script = NewName();
        const string Source = "#!/bin/sh\necho from stdin\n";
        var set = await Cli.RunWithInputAsync(Source, "script", "set", script, "-", "--description", "read from stdin");
        Assert.That(set.ExitCode, Is.Zero, set.ToString);
        Assert.That(set.Stdout, Does.StartWith($"{script}: saved, version "));

        Assert.That((await ExpectSuccessAsync("script", "get", script)).Stdout, Is.EqualTo(Source));
        var json = JsonNode.Parse((await ExpectSuccessAsync("script", "get", script, "--json")).Stdout)!;
        Assert.That(json["description"]!.GetValue<string>(), Is.EqualTo("read from stdin"));
    }

    [Test]
    public async Task Scripts_table_shows_each_instance_with_its_trigger_and_last_execution()
    {
        var (script, instance) = await CreateAsync("exit 4");
        await ExpectSuccessAsync("instance", "set", script, "nightly", "--start-trigger", "schedule:0 3 * * *");
        var (id, exitCode) = await RunToEndAsync(script, instance);
        Assert.That(exitCode, Is.EqualTo(4));

        var rows = (await ExpectSuccessAsync("scripts")).Stdout.Split('\n').Where(l => l.StartsWith(script + " ", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Has.Count.EqualTo(2));
        Assert.That(rows.Single(r => r.Contains(" nightly ", StringComparison.Ordinal)), Does.Contain("scheduler 0 3 * * *").And.EndsWith("-"));
        Assert.That(rows.Single(r => r.Contains(" main ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^3..],
            Is.EqualTo(new[] { id.ToString(System.Globalization.CultureInfo.InvariantCulture), "finished", "4" }));
    }

    [Test]
    public async Task Executions_filters_by_exit_code_and_state()
    {
        var (script, instance) = await CreateAsync("exit $1", "--args", "0");
        await RunToEndAsync(script, instance);
        var (five, _) = await RunToEndAsync(script, instance, "--args", "5");

        var json = JsonNode.Parse((await ExpectSuccessAsync("executions", "--script", script, "--exit-code", "5", "--state", "finished", "--json")).Stdout)!;
        Assert.That(json["executions"]!.AsArray().Select(e => e!["id"]!.GetValue<long>()), Is.EqualTo(new[] { five }));
    }

    [Test]
    public async Task Rerun_starts_the_instance_again_with_the_recorded_arguments()
    {
        var (script, instance) = await CreateAsync("exit $1", "--args", "0");
        var (first, _) = await RunToEndAsync(script, instance, "--args", "6");

        var rerun = await Cli.RunAsync("rerun", first.ToString(System.Globalization.CultureInfo.InvariantCulture), "--wait");
        Assert.That(rerun.ExitCode, Is.EqualTo(6), rerun.ToString);
        Assert.That(long.Parse(rerun.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(first));
    }

    [Test]
    public async Task Deleted_instance_and_script_are_gone()
    {
        var (script, instance) = await CreateAsync("true");
        Assert.That((await ExpectSuccessAsync("instance", "delete", script, instance)).Stdout, Is.EqualTo($"{script}/{instance}: deleted\n"));
        Assert.That((await ExpectSuccessAsync("script", "delete", script)).Stdout, Is.EqualTo($"{script}: deleted\n"));
        Assert.That((await Cli.RunAsync("script", "get", script)).ExitCode, Is.EqualTo(ExitCodes.ApplicationError));
    }

    [Test]
    public async Task Status_summarises_the_daemon()
    {
        var status = await ExpectSuccessAsync("status");
        Assert.That(status.Stdout, Does.StartWith("daemon      scriptexecd ").And.Contain("\nexecutions  "));
        var json = JsonNode.Parse((await ExpectSuccessAsync("status", "--json")).Stdout)!;
        Assert.That(json["pid"]!.GetValue<int>(), Is.EqualTo(Environment.ProcessId));
    }
}
