using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>What the metrics tests do over the wire: GET /metrics, and runs to be counted.</summary>
internal static class MetricsScrape
{
    public static async Task<HttpResponseMessage> GetAsync(int port, string? token, string path = "/metrics")
    {
        using var http = new HttpClient { Timeout = RpcClient.ReplyTimeout };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{port}{path}"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    public static async Task<IReadOnlyList<MetricSample>> SamplesAsync(int port, string token)
    {
        using var response = await GetAsync(port, token);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, () => $"GET /metrics: {(int)response.StatusCode}\n{text}");
        return PrometheusText.Parse(text);
    }

    /// <summary>Creates <paramref name="script"/> with one manual instance <c>main</c>, runs it, and waits for its end.</summary>
    public static async Task<JsonNode> RunToEndAsync(RpcClient client, string script, string source)
    {
        await client.CallAsync("script_set", new { name = script, source });
        await client.CallAsync("script_instance_set", new { script_name = script, instance_name = "main", start_trigger = new { type = "manual" } });
        var id = (await client.CallAsync("script_start", new { script_name = script, instance_name = "main" }))["execution"]!["id"]!.GetValue<long>();
        return await EndedAsync(client, id);
    }

    public static Task<JsonNode> EndedAsync(RpcClient client, long id) =>
        Eventually.ValueAsync(
            async () => (await client.CallAsync("script_execution_output_get", new
            {
                filter = new { execution_id = id },
                pagination = new { limit = 1 },
            }))["execution"]!,
            e => e["state"]!.GetValue<string>() is "finished" or "killed",
            $"execution {id} ended");
}
