using ScriptExec.Core;
using ScriptExec.Store;
using ScriptExec.Supervisor.Triggers;

namespace ScriptExec.Supervisor.Workflows;

/// <summary>
/// Creating, changing and deleting scripts and instances: the store, the script files on disk and the triggers
/// change together. A delete holds what it deletes against starts for as long as it acts, so no trigger can
/// start an instance between the check that it is idle and the delete.
/// </summary>
public sealed class ScriptCatalog
{
    private readonly ScriptStore _scripts;
    private readonly ExecutionSupervisor _supervisor;
    private readonly TriggerEngine _triggers;
    private readonly ExecutionControl _control;
    private readonly TimeProvider _time;

    public ScriptCatalog(ScriptStore scripts, ExecutionSupervisor supervisor, TriggerEngine triggers, ExecutionControl control, TimeProvider time)
    {
        _scripts = scripts;
        _supervisor = supervisor;
        _triggers = triggers;
        _control = control;
        _time = time;
        Overview = new CatalogOverview(scripts, control.Executions, supervisor);
    }

    /// <summary>The overview of scripts, instances and their newest executions, kept in memory.</summary>
    public CatalogOverview Overview { get; }

    /// <summary>
    /// Stores a script's source as its current version. A null <paramref name="description"/> keeps the current
    /// one, an empty one clears it. Nothing is written when neither source nor description changes.
    /// </summary>
    public async Task<ScriptDefinition> SetScriptAsync(string name, string source, string? description, CancellationToken cancellationToken)
    {
        var current = _scripts.GetScript(name);
        var script = new ScriptDefinition(
            name,
            source,
            ScriptDefinition.VersionOf(source),
            description is null ? current?.Description : description.Length == 0 ? null : description,
            _time.GetUtcNow().ToUnixTimeSeconds());
        if (current is not null && current.Version == script.Version && current.Description == script.Description)
        {
            return current;
        }

        await _scripts.SetScriptAsync(script, cancellationToken);
        _supervisor.ScriptVersionStored(script.Name, script.Version);
        Overview.CatalogChanged();
        return script;
    }

    /// <summary>Deletes a script and its instances (refused while one runs); its executions stay, outdated.</summary>
    public async Task DeleteScriptAsync(string name, CancellationToken cancellationToken)
    {
        Catalog.RequireScript(_scripts, name);
        using (_supervisor.Hold(name, instanceName: null))
        {
            if (!await _scripts.DeleteScriptAsync(name, cancellationToken))
            {
                throw Catalog.ScriptMissing(name);
            }

            _control.Restarts.CancelScript(name);
            Changed(name, instanceName: null);
            _supervisor.Files.Delete(name);
            _supervisor.Workdirs?.Delete(name, instanceName: null);
            _triggers.Reload();
        }
    }

    /// <summary>
    /// Stores an instance (its script must exist). A secret entry given as the mask keeps the stored value of that
    /// name, so a UI can write back what it read. A null <paramref name="enabled"/> keeps the stored instance's (a new
    /// one is enabled): pausing is the operator's, not undone by a change of configuration. Returns the instance as
    /// stored, secret values included.
    /// </summary>
    public async Task<InstanceDefinition> SetInstanceAsync(InstanceDefinition instance, CancellationToken cancellationToken, bool? enabled = null)
    {
        instance = instance with { Enabled = enabled ?? (_scripts.InstanceExists(instance.ScriptName, instance.InstanceName) ? StoredEnabled(instance) : true) };

        if (instance.SecretEnvironment.Values.Contains(InstanceDefinition.SecretMask))
        {
            instance = instance with { SecretEnvironment = KeepStoredSecrets(instance) };
        }

        Catalog.RequireScript(_scripts, instance.ScriptName);
        instance = instance with { UpdatedTimestamp = _time.GetUtcNow().ToUnixTimeSeconds() };
        await _scripts.SetInstanceAsync(instance, cancellationToken);
        Changed(instance.ScriptName, instance.InstanceName);
        _control.CancelPending(instance.ScriptName, instance.InstanceName);
        _triggers.Reload();
        return instance;
    }

    /// <summary>
    /// Enables or disables an instance. Disabling silences its triggers and refuses starts; a running execution is
    /// left alone. Returns the instance as stored.
    /// </summary>
    public async Task<InstanceDefinition> SetEnabledAsync(string scriptName, string instanceName, bool enabled, CancellationToken cancellationToken)
    {
        var stored = _scripts.GetInstance(scriptName, instanceName, withSecrets: true)
            ?? throw (_scripts.GetScript(scriptName) is null ? Catalog.ScriptMissing(scriptName) : Catalog.InstanceMissing(scriptName, instanceName));
        if (stored.Enabled == enabled)
        {
            return stored;
        }

        var instance = stored with { Enabled = enabled, UpdatedTimestamp = _time.GetUtcNow().ToUnixTimeSeconds() };
        await _scripts.SetInstanceAsync(instance, cancellationToken);
        Changed(scriptName, instanceName);
        _control.CancelPending(scriptName, instanceName);
        _triggers.Reload();
        return instance;
    }

    /// <summary>Deletes an instance (refused while it runs). One stored in a form that no longer loads can still be deleted.</summary>
    public async Task DeleteInstanceAsync(string scriptName, string instanceName, CancellationToken cancellationToken)
    {
        // Existence only: an instance stored in a form that no longer loads must stay deletable.
        Catalog.RequireScript(_scripts, scriptName);
        if (!_scripts.InstanceExists(scriptName, instanceName))
        {
            throw Catalog.InstanceMissing(scriptName, instanceName);
        }

        using (_supervisor.Hold(scriptName, instanceName))
        {
            if (!await _scripts.DeleteInstanceAsync(scriptName, instanceName, cancellationToken))
            {
                throw Catalog.InstanceMissing(scriptName, instanceName);
            }

            Changed(scriptName, instanceName);
            _control.CancelPending(scriptName, instanceName);
            _supervisor.Workdirs?.Delete(scriptName, instanceName);
            _triggers.Reload();
        }
    }

    /// <summary>What is kept in memory of the catalog (restart policies, the overview) is read again after a change.</summary>
    private void Changed(string scriptName, string? instanceName)
    {
        _control.Restarts.InstanceChanged(scriptName, instanceName);
        Overview.CatalogChanged();
    }

    // One that no longer loads is being set again to repair it: it comes back enabled.
    private bool StoredEnabled(InstanceDefinition instance)
    {
        try
        {
            return _scripts.GetInstance(instance.ScriptName, instance.InstanceName)?.Enabled ?? true;
        }
        catch (ScriptExecException e) when (e.Kind == ErrorKind.Conflict)
        {
            return true;
        }
    }

    private Dictionary<string, string> KeepStoredSecrets(InstanceDefinition instance)
    {
        var stored = _scripts.GetInstance(instance.ScriptName, instance.InstanceName, withSecrets: true)?.SecretEnvironment;
        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in instance.SecretEnvironment)
        {
            secrets[name] = value != InstanceDefinition.SecretMask ? value
                : stored is not null && stored.TryGetValue(name, out var kept) ? kept
                : throw new InvalidParameterException("env." + name, "is the mask, but no secret of that name is stored to keep");
        }

        return secrets;
    }
}
