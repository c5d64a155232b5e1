namespace ScriptExec.Daemon.Tests.Metrics;

/// <summary>The tests' reader of the exposition format, checked on its own so a parsing slip cannot pass a test.</summary>
public sealed class PrometheusTextTests
{
    [Test]
    public void Reads_names_labels_values_and_skips_comments()
    {
        var samples = PrometheusText.Parse("""
            # TYPE a_total counter
            a_total{script="x",le="+Inf"} 3
            b{} 1.5
            c 7 1700000000
            d{v="q\"uote"} +Inf
            """);

        Assert.Multiple(() =>
        {
            Assert.That(samples, Has.Count.EqualTo(4));
            Assert.That(samples[0].Name, Is.EqualTo("a_total"));
            Assert.That(samples[0].Has(("script", "x"), ("le", "+Inf")), Is.True);
            Assert.That(samples[0].Value, Is.EqualTo(3));
            Assert.That(samples[1].Labels, Is.Empty);
            Assert.That(samples[1].Value, Is.EqualTo(1.5));
            Assert.That(samples[2].Value, Is.EqualTo(7), "a timestamp after the value is not the value");
            Assert.That(samples[3].Labels["v"], Is.EqualTo("q\"uote"));
            Assert.That(samples[3].Value, Is.EqualTo(double.PositiveInfinity));
        });
    }
}
