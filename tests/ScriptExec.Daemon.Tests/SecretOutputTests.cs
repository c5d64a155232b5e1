using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>A secret env value the script prints is masked before it is stored and before it is pushed live (SPEC "secrets stay secret in output too").</summary>
public sealed class SecretOutputTests : TransportFixture
{
    private const string Secret = "pa55-W0rd-e81d7";
    private const string Mask = "********";

    public SecretOutputTests(string transport)
        : base(transport)
    {
    }

    [Test]
    public async Task A_printed_secret_is_masked_in_stored_output_and_in_live_notifications()
    {
        var (script, instance) = await CreateAsync(
            "echo \"key=$API_KEY.\"\necho \"$API_KEY\" >&2\necho \"plain=$PLAIN\"",
            new
            {
                env = new JsonObject
                {
                    ["PLAIN"] = "visible",
                    ["API_KEY"] = new JsonObject { ["value"] = Secret, ["secret"] = true },
                },
            });
        await Client.CallAsync("execution_subscribe", new { filter = new { instances = new[] { new { script_name = script } } }, output = true });

        var id = (await Client.CallAsync("script_start", new { script_name = script, instance_name = instance }))["execution"]!["id"]!.GetValue<long>();
        var live = new List<string>();
        var raw = new List<string>();
        var finished = false;
        while (!finished)
        {
            var notification = await Client.NextNotificationAsync();
            raw.Add(notification.ToJsonString());
            var p = notification["params"]!;
            switch (notification["method"]!.GetValue<string>())
            {
                case "execution_output":
                    live.AddRange(p["lines"]!.AsArray().Select(l => l!["content"]!.GetValue<string>()));
                    break;
                case "execution_changed":
                    finished = p["execution"]!["state"]!.GetValue<string>() == "finished";
                    break;
            }
        }

        var stored = await Client.ReadAllContentAsync(id);
        string[] expected = [$"key={Mask}.", Mask, "plain=visible"];
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EquivalentTo(expected), "stored output is masked");
            Assert.That(live, Is.EquivalentTo(expected), "live output is masked");
            Assert.That(raw, Has.None.Contains(Secret), "no notification carries the secret");
        });
    }
}
