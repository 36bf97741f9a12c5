export { DependenciesCard } from './DependenciesCard';
