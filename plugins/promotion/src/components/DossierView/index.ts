export { DOSSIER_SECTIONS, DossierView } from './DossierView';
