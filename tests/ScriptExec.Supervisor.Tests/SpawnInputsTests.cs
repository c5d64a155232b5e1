using ScriptExec.Core;

namespace ScriptExec.Supervisor.Tests;

public sealed class SpawnInputsTests
{
    private static InstanceDefinition Instance(
        IReadOnlyDictionary<string, string>? env = null, IReadOnlyDictionary<string, string>? secrets = null,
        string? workingDirectory = null, string? user = null) => new()
    {
        ScriptName = "s",
        InstanceName = "i",
        Environment = env ?? new Dictionary<string, string>(),
        SecretEnvironment = secrets ?? new Dictionary<string, string>(),
        WorkingDirectory = workingDirectory,
        User = user,
    };

    [Test]
    public void An_instance_whose_every_field_can_be_passed_to_exec_has_no_problem()
    {
        var instance = Instance(
            new Dictionary<string, string> { ["PATH"] = "/bin", ["EMPTY"] = "", ["EQUALS_IN_VALUE"] = "a=b" },
            new Dictionary<string, string> { ["TOKEN"] = "t" },
            "/tmp", "nobody");

        Assert.That(SpawnInputs.Problem(instance, "--flag 'two words'"), Is.Null);
    }

    [Test]
    public void A_NUL_in_the_arguments_is_named_as_arguments()
    {
        Assert.That(SpawnInputs.Problem(Instance(), "a\0b"), Is.EqualTo(("arguments", SpawnInputs.NoNul)));
    }

    [Test]
    public void A_NUL_in_an_environment_value_names_the_variable()
    {
        var instance = Instance(new Dictionary<string, string> { ["GOOD"] = "x", ["BAD"] = "x\0y" });

        Assert.That(SpawnInputs.Problem(instance, null), Is.EqualTo(("env.BAD", SpawnInputs.NoNul)));
    }

    [Test]
    public void Secret_environment_entries_are_checked_like_the_others()
    {
        var instance = Instance(secrets: new Dictionary<string, string> { ["TOKEN"] = "s\0" });

        Assert.That(SpawnInputs.Problem(instance, null), Is.EqualTo(("env.TOKEN", SpawnInputs.NoNul)));
    }

    [TestCase("", "env.")]
    [TestCase("A=B", "env.A=B")]
    [TestCase("A\0B", "env.A\\0B")]
    public void An_environment_name_exec_cannot_take_is_refused_with_any_NUL_shown_escaped(string name, string field)
    {
        var instance = Instance(new Dictionary<string, string> { [name] = "value" });

        Assert.That(SpawnInputs.Problem(instance, null), Is.EqualTo((field, "is not a valid environment variable name")));
    }

    [Test]
    public void A_NUL_in_the_working_directory_or_user_names_that_field()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SpawnInputs.Problem(Instance(workingDirectory: "/tmp\0x"), null), Is.EqualTo(("working_dir", SpawnInputs.NoNul)));
            Assert.That(SpawnInputs.Problem(Instance(user: "no\0body"), null), Is.EqualTo(("user", SpawnInputs.NoNul)));
        });
    }

    [Test]
    public void The_arguments_are_reported_first_when_several_fields_have_a_NUL()
    {
        var instance = Instance(new Dictionary<string, string> { ["BAD"] = "\0" }, workingDirectory: "\0", user: "\0");

        Assert.That(SpawnInputs.Problem(instance, "\0")?.Field, Is.EqualTo("arguments"));
    }
}
