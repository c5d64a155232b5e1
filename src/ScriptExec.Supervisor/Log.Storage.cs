using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Supervisor;

/// <content>Log messages of records kept in memory while the store refuses them.</content>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Supervisor.RecordPending, LogLevel.Information, "Execution {Id}: its {Record} record was refused by the store ({Reason}); kept in memory and retried until it is stored")]
    public static partial void RecordPending(ILogger logger, long id, string record, string reason);

    [LoggerMessage(LogEvents.Supervisor.RecordStored, LogLevel.Information, "Execution {Id}: its {Record} record is stored (attempt {Attempt})")]
    public static partial void RecordStored(ILogger logger, long id, string record, int attempt);

    [LoggerMessage(LogEvents.Supervisor.StartFailed, LogLevel.Error, "Execution {Id} could not be started; recorded as finished with exit code 127")]
    public static partial void StartFailed(ILogger logger, Exception exception, long id);
}
