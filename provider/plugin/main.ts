/**
 * `pulumi-resource-virtkit`: the multi-language component provider's entry point. The engine
 * starts it (through bin/pulumi-resource-virtkit) with the engine's address; Pulumi's own
 * provider server prints the port it listens on as the first line of stdout, then answers
 * GetSchema, GetPluginInfo and Construct for every `virtkit:index:*` component. Nothing else
 * may write to stdout before that line.
 */
import * as pulumi from '@pulumi/pulumi';
import { VirtkitProvider } from './construct';

void pulumi.provider.main(new VirtkitProvider(), process.argv.slice(2));
