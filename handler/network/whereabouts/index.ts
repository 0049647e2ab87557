/** The whereabouts IPAM plugin on this node: its files and the NAD IPAM the handler hands it. */
export {
  WHEREABOUTS_IPAM_TYPE,
  WHEREABOUTS_NODE_FIELDS,
  whereaboutsFiles,
  whereaboutsFlatFile,
  whereaboutsKubeconfig,
  whereaboutsNetworks,
  withNodeWhereabouts,
  type WhereaboutsFiles,
} from './config';
export { writeWhereaboutsFiles } from './files';
