using System.Text.Json.Nodes;
using ScriptExec.Cli.CommandLine;
using ScriptExec.Cli.Commands;

namespace ScriptExec.Cli.Tests;

/// <summary>The command line, without a daemon: option placement, values that look like options, filter building.</summary>
public sealed class ArgumentParsingTests
{
    [Test]
    public void Global_options_go_before_or_after_the_command()
    {
        var before = Invocation.Parse(["--socket", "/a.sock", "--json", "executions"], CommandTable.All);
        var after = Invocation.Parse(["executions", "--json", "--socket=/a.sock"], CommandTable.All);
        foreach (var invocation in new[] { before, after })
        {
            Assert.That(invocation.Command!.Name, Is.EqualTo("executions"));
            Assert.That(invocation.Arguments.Value("socket"), Is.EqualTo("/a.sock"));
            Assert.That(invocation.Arguments.Has("json"), Is.True);
        }
    }

    [Test]
    public void Value_options_take_the_next_word_verbatim_even_when_it_starts_with_a_dash()
    {
        var invocation = Invocation.Parse(["start", "s", "i", "--args", "--verbose -x"], CommandTable.All);
        Assert.That(invocation.Arguments.Value("args"), Is.EqualTo("--verbose -x"));
        Assert.That(invocation.Arguments.Positionals, Is.EqualTo(new[] { "s", "i" }));
    }

    [Test]
    public void Double_dash_ends_options_for_names_that_start_with_a_dash()
    {
        var invocation = Invocation.Parse(["script", "get", "--", "-odd-name"], CommandTable.All);
        Assert.That(invocation.Arguments.Positionals, Is.EqualTo(new[] { "-odd-name" }));
    }

    [Test]
    public void Command_options_are_not_accepted_before_the_command()
    {
        Assert.Throws<UsageException>(() => Invocation.Parse(["--force", "stop", "s", "i"], CommandTable.All));
    }

    [Test]
    public void Executions_defaults_to_the_20_newest()
    {
        var p = Build();
        Assert.That(p.ToJsonString(), Is.EqualTo("""{"pagination":{"limit":-20}}"""));
    }

    [Test]
    public void Executions_after_id_alone_reads_the_next_20()
    {
        Assert.That(Build("--after-id", "40")["pagination"]!.ToJsonString(), Is.EqualTo("""{"limit":20,"id_exclusive":40}"""));
        Assert.That(Build("--after-id", "40", "--limit", "-5")["pagination"]!.ToJsonString(), Is.EqualTo("""{"limit":-5,"id_exclusive":40}"""));
    }

    [Test]
    public void Executions_instance_flags_attach_to_the_preceding_script()
    {
        var filter = Build("--script", "a", "--instance", "x", "--instance", "y", "--script", "b", "--state", "killed", "--exit-code", "-9", "--outdated", "--since", "100", "--until", "200")["filter"]!;
        Assert.That(filter.ToJsonString(), Is.EqualTo(
            """{"instances":[{"script_name":"a","instance_names":["x","y"]},{"script_name":"b"}],"states":["killed"],"exit_codes":[-9],"include_outdated":true,"start_after":100,"start_before":200}"""));
    }

    [TestCase("manual", """{"type":"manual"}""")]
    [TestCase("xpath:/net/eth0/link = 'up'", """{"type":"xpath","setting":"/net/eth0/link = \u0027up\u0027"}""")]
    [TestCase("schedule:*/5 * * * *", """{"type":"schedule","setting":"*/5 * * * *"}""")]
    [TestCase("scheduler:@reboot", """{"type":"scheduler","setting":"@reboot"}""")]
    public void Triggers_split_at_the_first_colon(string text, string json)
    {
        Assert.That(InstanceCommands.ParseTrigger(text, "--start-trigger", "").ToJsonString(), Is.EqualTo(json));
    }

    private static JsonObject Build(params string[] options)
    {
        var invocation = Invocation.Parse(["executions", .. options], CommandTable.All);
        return ExecutionsCommand.BuildParams(invocation.Arguments, TimeProvider.System);
    }
}
