/**
 * Props of the VMI-rendering constructs. The guest's typed props (VmiTemplateProps and its
 * parts) live in api/render, shared with the Pulumi component; only the metadata is the
 * constructs' own.
 */
import type { VmiTemplateProps } from '../../api/render/template-props';
import type { ObjectMetaProps } from '../core/kubevirt-object';

/** Metadata plus the guest: props of the VMI construct. */
export interface VmiOwnerProps extends ObjectMetaProps, VmiTemplateProps {}
