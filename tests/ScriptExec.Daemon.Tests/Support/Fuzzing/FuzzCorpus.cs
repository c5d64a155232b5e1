namespace ScriptExec.Daemon.Tests.Support.Fuzzing;

/// <summary>
/// Valid messages the mutations start from: every method with good and bad params, batches, notifications and
/// protocol mistakes. Scripts here only ever run <c>true</c> or <c>exit 3</c>, so no input can leave anything running.
/// </summary>
public static class FuzzCorpus
{
    public const string Script = "fz";
    public const string Instance = "main";

    /// <summary>Sets up what the corpus refers to: the script, its manual instance and a state node.</summary>
    public static readonly string[] Setup =
    [
        """{"jsonrpc":"2.0","id":1,"method":"script_set","params":{"name":"fz","source":"true"}}""",
        """{"jsonrpc":"2.0","id":2,"method":"script_instance_set","params":{"script_name":"fz","instance_name":"main","start_trigger":{"type":"manual"}}}""",
        """{"jsonrpc":"2.0","id":3,"method":"state_set","params":{"xpath":"/fz/link","value":"up"}}""",
        """{"jsonrpc":"2.0","id":4,"method":"script_start","params":{"script_name":"fz","instance_name":"main"}}""",
    ];

    public static readonly string[] Messages =
    [
        // Every method, valid.
        """{"jsonrpc":"2.0","id":1,"method":"status"}""",
        """{"jsonrpc":"2.0","id":"s-1","method":"status","params":{"filter":{"instances":[{"script_name":"fz","instance_names":["main"]}]}}}""",
        """{"jsonrpc":"2.0","id":2,"method":"script_overview_get","params":{}}""",
        """{"jsonrpc":"2.0","id":3,"method":"script_set","params":{"name":"fz","source":"true","description":"fuzz target"}}""",
        """{"jsonrpc":"2.0","id":4,"method":"script_set","params":{"name":"fz-exit","source":"exit 3"}}""",
        """{"jsonrpc":"2.0","id":5,"method":"script_get","params":{"name":"fz"}}""",
        """{"jsonrpc":"2.0","id":6,"method":"script_delete","params":{"name":"fz-exit"}}""",
        """{"jsonrpc":"2.0","id":7,"method":"script_instance_set","params":{"script_name":"fz","instance_name":"main","start_trigger":{"type":"manual"},"stop_grace_s":1}}""",
        """{"jsonrpc":"2.0","id":8,"method":"script_instance_set","params":{"script_name":"fz","instance_name":"xp","arguments":"a 'b c' \"d\"","env":{"FZ":"1"},"working_dir":"/tmp","timeout_s":5,"start_trigger":{"type":"xpath","setting":"/fz/link = 'up'"},"stop_trigger":{"type":"xpath","setting":"/fz/link = 'down'"}}}""",
        """{"jsonrpc":"2.0","id":9,"method":"script_instance_set","params":{"script_name":"fz","instance_name":"tick","start_trigger":{"type":"schedule","setting":"*/5 * * * *"}}}""",
        """{"jsonrpc":"2.0","id":10,"method":"script_instance_delete","params":{"script_name":"fz","instance_name":"tick"}}""",
        """{"jsonrpc":"2.0","id":11,"method":"script_start","params":{"script_name":"fz","instance_name":"main","arguments":"x y"}}""",
        """{"jsonrpc":"2.0","id":12,"method":"script_stop","params":{"script_name":"fz","instance_name":"main"}}""",
        """{"jsonrpc":"2.0","id":13,"method":"script_stop","params":{"script_name":"fz","instance_name":"main","force":true}}""",
        """{"jsonrpc":"2.0","id":14,"method":"script_execution_rerun","params":{"execution_id":1}}""",
        """{"jsonrpc":"2.0","id":15,"method":"script_execution_get","params":{"pagination":{"limit":10}}}""",
        """{"jsonrpc":"2.0","id":16,"method":"script_execution_get","params":{"filter":{"exit_codes":[0,3],"include_outdated":true,"instances":[{"script_name":"fz"}],"states":["finished","killed"],"start_after":0,"start_before":9999999999,"trigger_types":["manual"],"usernames":["root"]},"pagination":{"limit":-5,"id_exclusive":100}}}""",
        """{"jsonrpc":"2.0","id":17,"method":"script_execution_output_get","params":{"filter":{"execution_id":1,"streams":["stdout","stderr"]},"pagination":{"limit":100,"id_exclusive":0}}}""",
        """{"jsonrpc":"2.0","id":18,"method":"script_execution_filter_options_get","params":{"include_outdated":true}}""",
        """{"jsonrpc":"2.0","id":19,"method":"state_set","params":{"xpath":"/fz/tree","value":{"a":[1,2.5,"x",null,true],"b":{"c":{}}}}}""",
        """{"jsonrpc":"2.0","id":20,"method":"state_get","params":{"xpath":"/fz/tree"}}""",
        """{"jsonrpc":"2.0","id":21,"method":"execution_subscribe","params":{"filter":{"instances":[{"script_name":"fz"}]},"output":true}}""",
        """{"jsonrpc":"2.0","id":22,"method":"execution_unsubscribe","params":{"subscription_id":1}}""",

        // Wrong or missing params.
        """{"jsonrpc":"2.0","id":30,"method":"script_execution_get","params":{"pagination":{"limit":0}}}""",
        """{"jsonrpc":"2.0","id":31,"method":"script_execution_get","params":{"pagination":{"limit":5000,"id_exclusive":-1}}}""",
        """{"jsonrpc":"2.0","id":32,"method":"script_execution_get","params":{}}""",
        """{"jsonrpc":"2.0","id":33,"method":"script_execution_get","params":{"pagination":{"limit":"10"},"unknown":1}}""",
        """{"jsonrpc":"2.0","id":34,"method":"script_set","params":{"name":"../etc","source":"true"}}""",
        """{"jsonrpc":"2.0","id":35,"method":"script_set","params":{"name":"fz","source":"a\u0000b"}}""",
        """{"jsonrpc":"2.0","id":36,"method":"script_instance_set","params":{"script_name":"fz","instance_name":"bad","timeout_s":-1,"env":{"1X":"y"},"start_trigger":{"type":"schedule","setting":"61 * * * *"}}}""",
        """{"jsonrpc":"2.0","id":37,"method":"script_start","params":{"script_name":"nope","instance_name":"main"}}""",
        """{"jsonrpc":"2.0","id":38,"method":"script_execution_output_get","params":{"filter":{"execution_id":18446744073709551616},"pagination":{"limit":1}}}""",
        """{"jsonrpc":"2.0","id":39,"method":"state_set","params":{"xpath":"not a path","value":1}}""",
        """{"jsonrpc":"2.0","id":40,"method":"status","params":[{"filter":{}}]}""",
        """{"jsonrpc":"2.0","id":41,"method":"status","params":[1,2]}""",
        """{"jsonrpc":"2.0","id":42,"method":"script_get","params":{"name":null}}""",
        """{"jsonrpc":"2.0","id":43,"method":"execution_unsubscribe","params":{"subscription_id":1.5}}""",

        // Protocol: ids, versions, shapes, unknown and reserved methods.
        """{"jsonrpc":"2.0","id":1.50,"method":"status"}""",
        """{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"status"}""",
        """{"jsonrpc":"2.0","id":null,"method":"status"}""",
        """{"jsonrpc":"2.0","id":"\u00e9\ud83d\ude00","method":"status"}""",
        """{"jsonrpc":"2.0","id":{"a":1},"method":"status"}""",
        """{"jsonrpc":"1.0","id":50,"method":"status"}""",
        """{"id":51,"method":"status"}""",
        """{"jsonrpc":"2.0","id":52,"method":1}""",
        """{"jsonrpc":"2.0","id":53,"method":"no_such_method","params":{}}""",
        """{"jsonrpc":"2.0","id":54,"method":"rpc.discover"}""",
        """{"jsonrpc":"2.0","id":55,"method":"$/cancelRequest","params":{"id":1}}""",
        """{"jsonrpc":"2.0","id":56,"result":1}""",
        """{"jsonrpc":"2.0","id":57,"method":"status","params":"x"}""",
        """{"jsonrpc":"2.0","method":"status"}""",
        """{"jsonrpc":"2.0","method":"script_start","params":{"script_name":"fz","instance_name":"main"}}""",
        """{"jsonrpc":"2.0","method":"no_such_notification"}""",
        """[]""",
        """[1,2,3]""",
        """[{"jsonrpc":"2.0","id":60,"method":"status"},{"jsonrpc":"2.0","method":"status"},{"jsonrpc":"2.0","id":61,"method":"script_get","params":{"name":"fz"}},{"foo":"boo"},{"jsonrpc":"2.0","id":62,"method":"nope"}]""",
        """[{"jsonrpc":"2.0","method":"status"},{"jsonrpc":"2.0","method":"state_get","params":{"xpath":"/fz"}}]""",
        """[{"jsonrpc":"2.0","id":63,"method":"script_execution_get","params":{"pagination":{"limit":1}}},[{"jsonrpc":"2.0","id":64,"method":"status"}]]""",
        """{"jsonrpc":"2.0","id":65,"method":"status","params":{},"params":{"filter":1}}""",
        """{"jsonrpc":"2.0","id":"\ud800","method":"st\u0061tus"}""",
    ];
}
